"""Activation functions applied to the logits, and the default one a model config asks for.

They take and return numpy arrays of shape [pairs, num_labels]. The names mirror the torch.nn
modules sentence-transformers stores in a model's config.json.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

import numpy as np

logger = logging.getLogger("crossenc")


class Identity:
    """Raw logits (what ms-marco cross-encoders are trained to give)."""

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        return logits

    def __repr__(self) -> str:
        return "Identity()"


class Sigmoid:
    """1 / (1 + exp(-x)): relevance in [0, 1]; the order is unchanged."""

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        return (1.0 / (1.0 + np.exp(-logits.astype(np.float64)))).astype(np.float32)

    def __repr__(self) -> str:
        return "Sigmoid()"


class Tanh:
    def __call__(self, logits: np.ndarray) -> np.ndarray:
        return np.tanh(logits)

    def __repr__(self) -> str:
        return "Tanh()"


# The torch paths sentence-transformers writes (fullname of the module's class).
_TORCH_NAMES: dict[str, Callable[[], Callable]] = {
    "torch.nn.modules.linear.Identity": Identity,
    "torch.nn.Identity": Identity,
    "torch.nn.modules.activation.Sigmoid": Sigmoid,
    "torch.nn.Sigmoid": Sigmoid,
    "torch.nn.modules.activation.Tanh": Tanh,
    "torch.nn.Tanh": Tanh,
}


def default_activation_fn(config: Mapping[str, Any]) -> Callable:
    """The activation sentence-transformers' CrossEncoder.get_default_activation_fn picks.

    config["sentence_transformers"]["activation_fn"] first, then the pre-v4 key
    "sbert_ce_default_activation_function"; without either, Sigmoid for one label and
    Identity otherwise. A path crossenc does not know is ignored with a warning, as
    sentence-transformers does with an untrusted one.
    """
    path = None
    st = config.get("sentence_transformers")
    if isinstance(st, Mapping) and st.get("activation_fn") is not None:
        path = st["activation_fn"]
    elif config.get("sbert_ce_default_activation_function") is not None:
        path = config["sbert_ce_default_activation_function"]
    if path is not None:
        if path in _TORCH_NAMES:
            return _TORCH_NAMES[path]()
        logger.warning("activation function '%s' is not one crossenc knows; using the default", path)
    return Sigmoid() if config.get("num_labels", 1) == 1 else Identity()


def softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the labels (axis 1), in float64 and back to float32."""
    x = scores.astype(np.float64)
    x = np.exp(x - x.max(axis=1, keepdims=True))
    return (x / x.sum(axis=1, keepdims=True)).astype(np.float32)
