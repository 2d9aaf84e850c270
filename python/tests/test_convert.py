"""crossenc.convert: the same file as `crossenc convert`, with and without GPTQ calibration."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

import crossenc
from conftest import SOURCE_DIR

PAIRS = [("what is a flea", "A flea is a small, wingless insect that feeds on blood."),
         ("how do plants make food", "Photosynthesis converts light energy into sugars."),
         ("flea market hours", "The flea market opens every Sunday morning.")]


def calibration_pairs(n):
    lines = (SOURCE_DIR / "examples" / "calibration_dl19.jsonl").read_text().splitlines()
    return [(v["query"], v["passage"]) for v in map(json.loads, lines[:n])]


def test_f32_file_scores_as_the_folder(tiny_model, tmp_path):
    out = tmp_path / "tiny.cenc"
    info = crossenc.convert(tiny_model, out)
    assert info["path"] == str(out) and info["dtype"] == "f32" and not info["gptq"]
    assert info["size_bytes"] == out.stat().st_size
    assert info["config"]["hidden_size"] == 32
    from_file = crossenc.CrossEncoder(str(out)).predict(PAIRS)
    from_folder = crossenc.CrossEncoder(tiny_model).predict(PAIRS)
    np.testing.assert_array_equal(from_file, from_folder)


def test_int8_with_calibration_is_the_clis_file(tiny_model, tmp_path, cli):
    pairs = calibration_pairs(8)
    info = crossenc.convert(tiny_model, tmp_path / "py.cenc", dtype="int8",
                            calibration_pairs=pairs, threads=1)
    assert info["dtype"] == "int8" and info["gptq"] and info["calibration_pairs"] == 8
    jsonl = tmp_path / "calib.jsonl"
    jsonl.write_text("".join(json.dumps({"query": q, "passage": p}) + "\n" for q, p in pairs))
    subprocess.run([cli, "convert", tiny_model, str(tmp_path / "cli.cenc"), "--dtype", "int8",
                    "--calibrate", str(jsonl), "--calibrate-pairs", "8", "--threads", "1"],
                   check=True, capture_output=True)
    assert (tmp_path / "py.cenc").read_bytes() == (tmp_path / "cli.cenc").read_bytes()
    # GPTQ picks other levels than rounding to nearest for some weights.
    crossenc.convert(tiny_model, tmp_path / "rtn.cenc", dtype="int8")
    assert (tmp_path / "rtn.cenc").read_bytes() != (tmp_path / "py.cenc").read_bytes()
    scores = crossenc.CrossEncoder(str(tmp_path / "py.cenc")).predict(PAIRS)
    assert np.all(np.isfinite(scores))


@pytest.mark.parametrize("kwargs, message", [
    ({"dtype": "f16", "calibration_pairs": PAIRS}, 'go with dtype="int8"'),
    ({"dtype": "int8", "calibration_pairs": []}, "calibration_pairs is empty"),
    ({"dtype": "int8", "calibration_pairs": [("only a query",)]}, "pair 0"),
    ({"dtype": "int4"}, "int4"),
    ({"threads": -1}, "threads must be >= 0"),
])
def test_bad_arguments_are_value_errors(tiny_model, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        crossenc.convert(tiny_model, tmp_path / "x.cenc", **kwargs)
    assert not (tmp_path / "x.cenc").exists()


def test_a_cenc_file_is_not_a_folder_to_convert(tiny_model, tmp_path):
    crossenc.convert(tiny_model, tmp_path / "a.cenc")
    with pytest.raises(ValueError, match="not a Hugging Face model folder"):
        crossenc.convert(tmp_path / "a.cenc", tmp_path / "b.cenc")
    with pytest.raises(FileNotFoundError):
        crossenc.convert(tmp_path / "missing", tmp_path / "b.cenc")


def test_unwritable_output_is_a_runtime_error(tiny_model, tmp_path):
    with pytest.raises(RuntimeError):
        crossenc.convert(tiny_model, tmp_path / "no-such-dir" / "x.cenc")
