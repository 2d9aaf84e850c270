"""crossenc.CrossEncoder against sentence-transformers' CrossEncoder contract: argument names,
defaults, return shapes and types, the default activation, errors."""

import inspect
import json
import logging
import shutil
import struct

import numpy as np
import pytest

import crossenc
from crossenc import CrossEncoder

PAIRS = [("what is a flea", "A flea is a small wingless insect."),
         ("what is a flea", "Paris is the capital of France."),
         ["how tall is everest", "Mount Everest is 8,849 metres tall."]]


@pytest.fixture(scope="module")
def model(request):
    from conftest import TEST_DATA
    return CrossEncoder(str(TEST_DATA / "tiny-random"), threads=1)


def test_signatures_match_sentence_transformers():
    predict = inspect.signature(CrossEncoder.predict).parameters
    assert list(predict)[1:] == ["sentences", "batch_size", "show_progress_bar", "activation_fn",
                                 "apply_softmax", "convert_to_numpy", "convert_to_tensor"]
    assert predict["batch_size"].default == 32 and predict["apply_softmax"].default is False
    assert predict["convert_to_numpy"].default is True
    rank = inspect.signature(CrossEncoder.rank).parameters
    assert list(rank)[1:8] == ["query", "documents", "top_k", "return_documents", "batch_size",
                               "show_progress_bar", "activation_fn"]
    assert rank["top_k"].default is None and rank["return_documents"].default is False
    init = inspect.signature(CrossEncoder.__init__).parameters
    assert list(init)[1:7] == ["model", "max_length", "backend", "dtype", "threads", "device"]


def test_predict_shapes(model):
    scores = model.predict(PAIRS)
    assert isinstance(scores, np.ndarray) and scores.dtype == np.float32 and scores.shape == (3,)
    single = model.predict(PAIRS[0])
    assert isinstance(single, np.float32)
    empty = model.predict([])
    assert isinstance(empty, np.ndarray) and empty.shape == (0,)
    as_list = model.predict(PAIRS, convert_to_numpy=False)
    assert isinstance(as_list, list) and len(as_list) == 3
    assert model.predict(iter(PAIRS)).shape == (3,)  # any iterable of pairs


def test_batch_size_does_not_change_the_pairs_scored(model):
    a = model.predict(PAIRS * 5, batch_size=4)
    b = model.predict(PAIRS * 5, batch_size=32)
    np.testing.assert_allclose(a, b, atol=1e-5)  # batch composition moves F32 sums by ~1e-7


def test_rank_shape_and_order(model):
    docs = [p[1] for p in PAIRS]
    ranked = model.rank("what is a flea", docs)
    assert [set(r) for r in ranked] == [{"corpus_id", "score"}] * 3
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
    assert sorted(r["corpus_id"] for r in ranked) == [0, 1, 2]
    top = model.rank("what is a flea", docs, top_k=2, return_documents=True)
    assert len(top) == 2 and top[0]["text"] == docs[top[0]["corpus_id"]]
    scores = model.predict([("what is a flea", d) for d in docs])
    assert top[0]["score"] == scores.max()


def test_rank_ties_keep_input_order(model):
    ranked = model.rank("q", ["same text"] * 4)
    assert [r["corpus_id"] for r in ranked] == [0, 1, 2, 3]


def test_activations(model):
    logits = model.predict(PAIRS)
    assert isinstance(model.activation_fn, crossenc.Identity)  # tiny-random's config says so
    sig = model.predict(PAIRS, activation_fn=crossenc.Sigmoid())
    np.testing.assert_allclose(sig, 1 / (1 + np.exp(-logits.astype(np.float64))), rtol=1e-6)
    doubled = model.predict(PAIRS, activation_fn=lambda x: x * 2)
    np.testing.assert_array_equal(doubled, logits * 2)
    assert isinstance(model.activation_fn, crossenc.Identity)  # a per-call override only
    # Softmax over a single label is 1 for every pair, as in sentence-transformers.
    np.testing.assert_array_equal(model.predict(PAIRS, apply_softmax=True), np.ones(3, np.float32))


def _folder_with_config(tmp_path, tiny_model, **changes):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    config = json.loads((folder / "config.json").read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    (folder / "config.json").write_text(json.dumps(config))
    return str(folder)


def _folder_with_outlier_channels(folder, tiny_model):
    """tiny-random with channel 5 given a 15x gain in every LayerNorm (an outlier channel)."""
    shutil.copytree(tiny_model, folder)
    path = folder / "model.safetensors"
    data = bytearray(path.read_bytes())
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    for name, t in header.items():
        if name.endswith("LayerNorm.weight"):
            assert t["dtype"] == "F32"
            at = 8 + n + t["data_offsets"][0] + 4 * 5
            struct.pack_into("<f", data, at, 15.0 * struct.unpack_from("<f", data, at)[0])
    path.write_bytes(bytes(data))
    return str(folder)


def test_eight_bit_on_a_model_with_outlier_channels_logs_a_warning(tmp_path, tiny_model, caplog):
    outliers = _folder_with_outlier_channels(tmp_path / "outliers", tiny_model)
    with caplog.at_level(logging.WARNING, logger="crossenc"):
        CrossEncoder(outliers, threads=1)  # f32: nothing to say
        CrossEncoder(tiny_model, threads=1, dtype="int8")  # no outlier channels
    assert caplog.text == ""
    with caplog.at_level(logging.WARNING, logger="crossenc"):
        m = CrossEncoder(outliers, threads=1, dtype="int8")
    assert "1 outlier hidden channel(s) (5:" in caplog.text and "int8 rounding" in caplog.text
    assert m._engine.info()["warnings"] == [r.getMessage() for r in caplog.records]


def test_default_activation_follows_the_config(tmp_path, tiny_model, caplog):
    # No key and one label: sentence-transformers' rule gives Sigmoid.
    m = CrossEncoder(_folder_with_config(tmp_path / "a", tiny_model,
                                         sbert_ce_default_activation_function=None), threads=1)
    assert isinstance(m.activation_fn, crossenc.Sigmoid)
    assert 0 < m.predict(PAIRS[0]) < 1
    # The v4 key wins over the old one.
    m = CrossEncoder(_folder_with_config(
        tmp_path / "b", tiny_model,
        sentence_transformers={"activation_fn": "torch.nn.modules.activation.Sigmoid"}),
        threads=1)
    assert isinstance(m.activation_fn, crossenc.Sigmoid)
    with caplog.at_level(logging.WARNING, logger="crossenc"):
        m = CrossEncoder(_folder_with_config(tmp_path / "c", tiny_model,
                                             sbert_ce_default_activation_function="my.Custom"),
                         threads=1)
    assert isinstance(m.activation_fn, crossenc.Sigmoid) and "my.Custom" in caplog.text
    assert crossenc.default_activation_fn({"num_labels": 3}).__class__ is crossenc.Identity
    m = CrossEncoder(tiny_model, threads=1, activation_fn=crossenc.Tanh())
    assert isinstance(m.activation_fn, crossenc.Tanh)


def test_attributes(model):
    assert model.max_length == 512 and model.num_labels == 1
    assert model.config.num_labels == 1 and model.config.hidden_size == 32
    assert model.config.to_dict()["model_type"] == "bert"
    assert CrossEncoder(model.model_name_or_path, max_length=16, threads=1).max_length == 16


def test_long_passages_truncate_or_score_as_their_best_window(model):
    query = "which fox jumps"
    passage = " ".join(f"fox{j * 7919 % 1000} jumps" for j in range(1500))  # ~5,000 tokens
    truncated = model.predict([(query, passage)])
    windowed = CrossEncoder(model.model_name_or_path, threads=1, max_windows=20)
    best = windowed.predict([(query, passage)])
    assert best >= truncated and best != truncated  # the first window is one of them
    assert windowed.predict([(query, "a short one")]) == model.predict([(query, "a short one")])
    left = CrossEncoder(model.model_name_or_path, threads=1, truncation_side="left")
    assert left.predict([(query, passage)]) != truncated
    with pytest.raises(ValueError, match="truncation_side"):
        CrossEncoder(model.model_name_or_path, truncation_side="middle")
    with pytest.raises(ValueError, match="max_windows"):
        CrossEncoder(model.model_name_or_path, max_windows=0)


def test_input_errors(model):
    with pytest.raises(ValueError, match="pair 1: the passage must be a str"):
        model.predict([("q", "p"), ("q", 3)])
    with pytest.raises(ValueError, match="lone surrogate"):
        model.predict([("q\udc80", "p")])
    with pytest.raises(ValueError, match="two str"):
        model.predict([("q", "p", "x")])
    with pytest.raises(ValueError, match="batch_size"):
        model.predict(PAIRS, batch_size=0)


def test_model_errors(tmp_path, tiny_model):
    with pytest.raises(FileNotFoundError, match="not found"):
        CrossEncoder(str(tmp_path / "missing.cenc"))
    bad = tmp_path / "bad.cenc"
    bad.write_bytes(b"not a model")
    with pytest.raises(RuntimeError):
        CrossEncoder(str(bad))
    with pytest.raises(ValueError, match="unknown dtype"):
        CrossEncoder(tiny_model, dtype="f64")
    with pytest.raises(ValueError, match="device"):
        CrossEncoder(tiny_model, device="cuda")
    with pytest.raises(ValueError, match="threads"):
        CrossEncoder(tiny_model, threads=-1)


def test_convert_to_tensor_needs_torch(model, monkeypatch):
    import sys
    import types
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    with pytest.raises(ImportError, match="PyTorch"):
        model.predict(PAIRS, convert_to_tensor=True)
    fake = types.SimpleNamespace(as_tensor=lambda a: ("tensor", a))
    monkeypatch.setitem(sys.modules, "torch", fake)
    kind, values = model.predict(PAIRS, convert_to_tensor=True)
    assert kind == "tensor" and values.shape == (3,)


def test_progress_bar_one_line_per_update_off_a_terminal(model, capfd):
    model.predict(PAIRS * 20, batch_size=8, show_progress_bar=True)
    err = capfd.readouterr().err
    assert "60/60 pairs" in err and "\r" not in err


def test_hub_id_from_the_local_cache(tmp_path, tiny_model, monkeypatch):
    repo = tmp_path / "hub" / "models--cross-encoder--ms-marco-MiniLM-L6-v2"
    shutil.copytree(tiny_model, repo / "snapshots" / "abc123")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    m = CrossEncoder("cross-encoder/ms-marco-MiniLM-L6-v2", threads=1)
    assert m.predict(PAIRS).shape == (3,)
    with pytest.raises(FileNotFoundError, match="does not download"):
        CrossEncoder("cross-encoder/not-cached")
