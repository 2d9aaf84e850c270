"""crossenc: fast cross-encoder reranking with the sentence-transformers CrossEncoder API.

    from crossenc import CrossEncoder
    model = CrossEncoder("minilm.cenc")
    scores = model.predict([("what is a flea", "A flea is a small insect.")])
"""

from .activations import Identity, Sigmoid, Tanh, default_activation_fn
from .convert import convert
from .cross_encoder import CrossEncoder, ModelConfig
from .evaluate import evaluate

__version__ = "0.1.0"
__all__ = ["CrossEncoder", "ModelConfig", "Identity", "Sigmoid", "Tanh", "default_activation_fn",
           "convert", "evaluate", "__version__"]
