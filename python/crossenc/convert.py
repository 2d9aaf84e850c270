"""crossenc.convert: `crossenc convert` from Python (the same C++ code, the same file bytes)."""

from __future__ import annotations

import os
from typing import Any, Sequence

from . import _native
from .model_path import resolve_model


def convert(model: str | os.PathLike, output: str | os.PathLike, dtype: str = "f32",
            calibration_pairs: Sequence[Sequence[str]] | None = None,
            threads: int = 0) -> dict[str, Any]:
    """Converts a Hugging Face model folder (or a Hub id in the local cache) into a .cenc file.

    dtype: "f32", "f16" or "int8" (symmetric INT8 weights, one scale per output channel).
    calibration_pairs: with dtype="int8", (query, passage) pairs the F32 model runs first; every
        encoder matrix is then rounded with GPTQ on the statistics of its inputs instead of to
        nearest (same scales, file format and speed; closer to F32). 32 pairs from distinct
        queries are enough (the repository's examples/calibration_dl19.jsonl is such a set).
    threads: CPU threads for the calibration pass (0 = all cores).

    Returns {"path", "dtype", "gptq", "calibration_pairs", "size_bytes", "config"}. Raises
    ValueError for a bad argument and RuntimeError when the model cannot be converted.
    """
    pairs = None if calibration_pairs is None else list(calibration_pairs)
    return _native.convert(resolve_model(model), os.fspath(output), dtype, pairs, threads)
