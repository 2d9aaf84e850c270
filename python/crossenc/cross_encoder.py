"""CrossEncoder with the names, arguments, defaults and return shapes of
sentence_transformers.CrossEncoder (predict, rank), running on the crossenc engine."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from . import _native
from .activations import Identity, default_activation_fn, softmax
from .model_path import resolve_model
from .progress import Progress

logger = logging.getLogger("crossenc")


class ModelConfig:
    """The model's config.json values as attributes (like transformers' PretrainedConfig)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def get(self, key: str, default: Any = None) -> Any:
        return self.__dict__.get(key, default)

    def __repr__(self) -> str:
        return f"ModelConfig({self.__dict__!r})"


def _hf_config(path: str) -> dict[str, Any] | None:
    """A Hugging Face folder's config.json (every key, the activation among them), else None."""
    config_json = Path(path) / "config.json"
    if not config_json.is_file():
        return None
    return json.loads(config_json.read_text(encoding="utf-8"))


def _show_progress(show_progress_bar: bool | None) -> bool:
    if show_progress_bar is None:  # sentence-transformers: on when its logger says INFO/DEBUG
        return logger.getEffectiveLevel() in (logging.INFO, logging.DEBUG)
    return bool(show_progress_bar)


class CrossEncoder:
    """A cross-encoder: scores (query, passage) pairs.

    Args:
        model: a .cenc file, a Hugging Face model folder, or a Hub id already in the local
            Hugging Face cache.
        max_length: token budget per pair, [CLS]/[SEP] included (None = the model's, 512).
        backend: "cpu", "vulkan" or "auto".
        dtype: "f32", "f16", "bf16" (CPU) or any other the engine accepts; None = the file's.
        threads: CPU threads (0 = all cores).
        device: Vulkan device index (None = the best).
        activation_fn: applied to the logits ([pairs, num_labels] numpy array); None = what the
            folder's config.json asks for, decided as sentence-transformers does (Identity for
            ms-marco models); Identity for a .cenc file, which does not record it.
        truncation_side: which end of an over-long text is cut, "right" or "left" (Hugging
            Face's truncation_side).
        max_windows: a passage too long for max_length is scored in up to this many windows
            that overlap by a quarter, the query in each, and the best window's score counts
            (1 = truncate, as sentence-transformers does).
    """

    def __init__(self, model: str | os.PathLike, max_length: int | None = None,
                 backend: str = "cpu", dtype: str | None = None, threads: int = 0,
                 device: int | None = None, activation_fn: Callable | None = None,
                 truncation_side: str = "right", max_windows: int = 1) -> None:
        if device is not None and (isinstance(device, bool) or not isinstance(device, int)):
            raise ValueError(f"device must be a Vulkan device index (int) or None, not {device!r}")
        if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
            raise ValueError(f"max_length must be a positive int or None, not {max_length!r}")
        path = resolve_model(model)
        self._engine = _native.Engine(path, backend=backend, dtype=dtype, threads=threads,
                                      device=-1 if device is None else device,
                                      max_length=max_length or 0, batch_size=1 << 20,
                                      truncation_side=truncation_side, max_windows=max_windows)
        info = self._engine.info()
        for warning in info["warnings"]:  # e.g. bf16/int8 on a model with outlier channels
            logger.warning("%s", warning)
        self.model_name_or_path = str(model)
        self._info = info
        hf_config = _hf_config(path)
        self.config = ModelConfig({**info["config"], **(hf_config or {})})
        if info["config"]["num_labels"] != 1:
            raise ValueError(f"model '{model}' has {info['config']['num_labels']} labels; crossenc "
                             "scores single-label (num_labels=1) cross-encoders only")
        if activation_fn is not None:
            self.activation_fn = activation_fn
        elif hf_config is not None:
            self.activation_fn = default_activation_fn(hf_config)
        else:
            # A .cenc file keeps the encoder's dimensions only, not the activation key of the
            # config.json it came from: raw logits, as `crossenc score` and the server give.
            self.activation_fn = Identity()

    @property
    def num_labels(self) -> int:
        return self.config.num_labels

    @property
    def max_length(self) -> int:
        return self._info["max_length"]

    @property
    def dtype(self) -> str:
        return self._info["dtype"]

    @property
    def device(self) -> str:
        return self._info["device"]

    def predict(self, sentences: Sequence[Sequence[str]] | Sequence[str], batch_size: int = 32,
                show_progress_bar: bool | None = None, activation_fn: Callable | None = None,
                apply_softmax: bool | None = False, convert_to_numpy: bool = True,
                convert_to_tensor: bool = False):
        """Scores of (query, passage) pairs: a float32 array [n] (one pair: a scalar).

        batch_size pairs make one forward pass; activation_fn overrides model.activation_fn for
        this call; convert_to_numpy=False gives a list; convert_to_tensor=True a torch tensor
        (needs PyTorch).
        """
        single = False
        if sentences and isinstance(sentences, (list, tuple)) and isinstance(sentences[0], str):
            sentences, single = [sentences], True
        if not isinstance(sentences, (list, tuple)):
            sentences = list(sentences)
        progress = Progress(len(sentences)) if _show_progress(show_progress_bar) else None
        logits = self._engine.score(sentences, batch_size=batch_size,
                                    progress=progress.update if progress else None)
        fn = activation_fn if activation_fn is not None else self.activation_fn
        scores = np.asarray(fn(logits.reshape(-1, self.num_labels)), dtype=np.float32)
        if apply_softmax and scores.ndim > 1:
            scores = softmax(scores)
        if self.num_labels == 1:
            scores = scores.reshape(-1)
        if convert_to_tensor:
            try:
                import torch
            except ImportError as e:
                raise ImportError("convert_to_tensor=True needs PyTorch (torch), which is not "
                                  "installed; use the default numpy output") from e
            scores = torch.as_tensor(scores)
        elif not convert_to_numpy:
            scores = list(scores)
        return scores[0] if single else scores

    def rank(self, query: str, documents: Sequence[str], top_k: int | None = None,
             return_documents: bool = False, batch_size: int = 32,
             show_progress_bar: bool | None = None, activation_fn: Callable | None = None,
             apply_softmax: bool = False, convert_to_numpy: bool = True,
             convert_to_tensor: bool = False) -> list[dict[str, Any]]:
        """Documents best first: [{"corpus_id", "score"[, "text"]}], the top_k best (None = all)."""
        scores = self.predict([[query, doc] for doc in documents], batch_size=batch_size,
                              show_progress_bar=show_progress_bar, activation_fn=activation_fn,
                              apply_softmax=apply_softmax, convert_to_numpy=convert_to_numpy,
                              convert_to_tensor=convert_to_tensor)
        results = []
        for i, score in enumerate(scores):
            results.append({"corpus_id": i, "score": score})
            if return_documents:
                results[-1]["text"] = documents[i]
        results.sort(key=lambda r: r["score"], reverse=True)  # stable: ties keep input order
        return results[:top_k]

    def __repr__(self) -> str:
        return (f"CrossEncoder({self.model_name_or_path!r}, dtype={self.dtype!r}, "
                f"device={self.device!r}, max_length={self.max_length})")
