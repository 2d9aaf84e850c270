"""crossenc.evaluate: `crossenc eval` from Python (the same C++ code, the same numbers)."""

from __future__ import annotations

import os
from typing import Any, Sequence

from . import _native
from .model_path import resolve_model
from .progress import Progress


def evaluate(model: str | os.PathLike, dataset: str = "dl19", data_dir: str | None = None,
             top_k: int = 100, backend: str = "cpu", dtype: str | None = None, threads: int = 0,
             device: int | None = None, max_length: int | None = None, batch_size: int = 32,
             compare_dtypes: Sequence[str] | None = None,
             show_progress_bar: bool = False) -> dict[str, Any]:
    """Reranks the BM25 top-`top_k` of TREC DL 2019 ("dl19") or 2020 ("dl20").

    Returns {"dataset", "queries", "bm25": {...}, "reranked": {...}, "pairs", "seconds",
    "pairs_per_s"}, where each metrics dict has "ndcg@10", "mrr@10", "recall@100" and
    "per_query"; with compare_dtypes (e.g. ["f16", "bf16"]) also "dtypes": one row per dtype
    (f32 first) with its metrics, "worst_spearman" and "worst_qid" against f32.
    data_dir=None searches the folders `crossenc eval --data` does.
    """
    progress = Progress(0) if show_progress_bar else None
    return _native.evaluate(resolve_model(model), dataset, data_dir=data_dir or "", top_k=top_k,
                            backend=backend, dtype=dtype, threads=threads,
                            device=-1 if device is None else device, max_length=max_length or 0,
                            batch_size=batch_size,
                            compare_dtypes=list(compare_dtypes) if compare_dtypes else None,
                            progress=progress.update if progress else None)
