"""predict gives the scores `crossenc score` writes, bit for bit, for every dtype."""

import json
import subprocess

import numpy as np
import pytest

from crossenc import CrossEncoder


def _pairs():
    words = "the flea is a small insect that lives on cats and dogs in warm houses".split()
    # 70 pairs of varied lengths: three batches of 32 (the last one short), as the CLI forms them.
    return [(f"query {i} " + " ".join(words[: i % 7 + 1]),
             " ".join(words * (i % 5 + 1))[: 40 + 9 * i]) for i in range(70)]


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("form", ["folder", "cenc"])
def test_scores_equal_crossenc_score(tmp_path, tiny_model, cli, dtype, form):
    if form == "cenc":  # a .cenc file defaults to raw logits too (it keeps no activation key)
        subprocess.run([cli, "convert", tiny_model, str(tmp_path / "m.cenc")], check=True,
                       capture_output=True)
        tiny_model = str(tmp_path / "m.cenc")
    pairs = _pairs()
    src = tmp_path / "pairs.jsonl"
    src.write_text("".join(json.dumps({"query": q, "passage": p}) + "\n" for q, p in pairs))
    out = subprocess.run([cli, "score", "-m", tiny_model, "-i", str(src), "--dtype", dtype,
                          "--threads", "1"], check=True, capture_output=True, text=True).stdout
    expected = np.array([json.loads(line)["score"] for line in out.splitlines()], np.float32)
    model = CrossEncoder(tiny_model, dtype=dtype, threads=1)
    got = model.predict(pairs)
    assert model.dtype == dtype
    # JSON holds the float's shortest round-trip text, so equality is bit equality.
    np.testing.assert_array_equal(got, expected)
