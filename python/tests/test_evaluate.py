"""crossenc.evaluate gives the numbers `crossenc eval` prints (the same C++ code)."""

import re
import subprocess

import pytest

import crossenc
from conftest import require_shared


def test_matches_the_cli(tiny_model, trec_mini, cli):
    r = crossenc.evaluate(tiny_model, "dl19", data_dir=trec_mini, threads=1)
    assert r["queries"] == 2 and r["pairs"] == 7
    assert r["bm25"]["ndcg@10"] == pytest.approx(0.7628251130460375, abs=1e-12)  # by hand
    assert set(r["reranked"]["per_query"]) == {"1", "2"}
    out = subprocess.run([cli, "eval", "-m", tiny_model, "--dataset", "dl19", "--data", trec_mini,
                          "--threads", "1"], check=True, capture_output=True, text=True).stdout
    printed = dict(re.findall(r"^(nDCG@10|MRR@10|Recall@100)\s+\S+\s+(\S+)$", out, re.M))
    assert float(printed["nDCG@10"]) == pytest.approx(r["reranked"]["ndcg@10"], abs=5e-5)
    assert float(printed["MRR@10"]) == pytest.approx(r["reranked"]["mrr@10"], abs=5e-5)


def test_compare_dtypes(tiny_model, trec_mini):
    r = crossenc.evaluate(tiny_model, data_dir=trec_mini, threads=1, compare_dtypes=["f16", "f32"])
    assert [row["dtype"] for row in r["dtypes"]] == ["f32", "f16"]
    assert r["dtypes"][1]["worst_spearman"] >= 0.999  # FP16 weights keep the order here


def test_errors(tiny_model, trec_mini, tmp_path):
    with pytest.raises(RuntimeError, match="unknown dataset"):
        crossenc.evaluate(tiny_model, "dl21", data_dir=trec_mini)
    with pytest.raises(RuntimeError, match="lacks"):
        crossenc.evaluate(tiny_model, "dl19", data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="unknown dtype"):
        crossenc.evaluate(tiny_model, data_dir=trec_mini, compare_dtypes=["f64"])
    with pytest.raises(FileNotFoundError):
        crossenc.evaluate(str(tmp_path / "none.cenc"), data_dir=trec_mini)


def test_bm25_reproduces_dl19():
    data = require_shared("data/trec-dl-passage-bm25-top100/retrieve_results_dl19_top100.json")
    from conftest import TEST_DATA
    r = crossenc.evaluate(str(TEST_DATA / "tiny-random"), "dl19", data_dir=str(data.parent),
                          threads=1, top_k=5)
    assert r["queries"] == 43
    assert r["bm25"]["ndcg@10"] == pytest.approx(0.5058, abs=5e-5)
