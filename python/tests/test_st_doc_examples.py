"""sentence-transformers' documentation examples run unchanged but for the import
(st_doc_examples.py) and give the shapes they document. The Hub ids they name resolve from a
local Hugging Face cache made here, holding the tiny random-weight model: the values are
meaningless, the shapes and types are the point."""

import runpy
import shutil
from pathlib import Path

import numpy as np


def test_documentation_examples(tmp_path, tiny_model, monkeypatch, capsys):
    for name in ("ms-marco-MiniLM-L-6-v2", "ms-marco-MiniLM-L6-v2"):
        shutil.copytree(tiny_model, tmp_path / f"models--cross-encoder--{name}" / "snapshots" / "0")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    g = runpy.run_path(str(Path(__file__).with_name("st_doc_examples.py")))

    assert g["scores"].shape == (2,) and g["scores"].dtype == np.float32
    ranks = g["ranks"]
    assert len(ranks) == 10 and all(set(r) == {"corpus_id", "score"} for r in ranks)
    assert [r["score"] for r in ranks] == sorted((r["score"] for r in ranks), reverse=True)
    out = capsys.readouterr().out
    assert out.startswith("Query: How many people live in Berlin?\n")
    assert len(out.splitlines()) == 11
    mockingbird = g["mockingbird"]
    assert len(mockingbird) == 6
    assert all(set(r) == {"corpus_id", "score", "text"} for r in mockingbird)
    assert all(r["text"] == g["documents"][r["corpus_id"]] for r in mockingbird)
    assert g["predicted"].shape == (2,) and g["predicted"].dtype == np.float32
