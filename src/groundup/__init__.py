"""groundup: deep learning from the ground up, on NumPy, equal to PyTorch op for op."""

import numpy as np

from groundup.ops import (
    abs,
    add,
    amax,
    amin,
    argmax,
    argmin,
    chunk,
    clamp,
    clip,
    clone,
    div,
    exp,
    expand,
    flatten,
    log,
    log_softmax,
    logsumexp,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    softmax,
    split,
    sqrt,
    squeeze,
    std,
    sub,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from groundup.ops.creation import (
    arange,
    eye,
    from_numpy,
    full,
    full_like,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    zeros,
    zeros_like,
)
from groundup.ops.shape import cat, concat, stack
from groundup.ops.compare import *  # noqa: F403
from groundup.ops.math import *  # noqa: F403
from groundup.ops.cumulative import *  # noqa: F403
from groundup.ops.statistics import *  # noqa: F403
from groundup.ops.indexing import *  # noqa: F403
from groundup.ops.sorting import *  # noqa: F403
from groundup.ops.layout import *  # noqa: F403
from groundup.ops.products import *  # noqa: F403
from groundup.ops.conversion import *  # noqa: F403
from groundup.random import get_rng_state, manual_seed, set_rng_state
from groundup.tensor import Tensor, enable_grad, is_grad_enabled, no_grad, tensor

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
long = int64
bool_ = np.dtype(np.bool_)

__version__ = "0.1.0"

# Subpackages last: they import the names above.
from groundup import data, inspect, nn, optim  # noqa: E402

__all__ = [
    "Tensor",
    "abs",
    "add",
    "amax",
    "amin",
    "arange",
    "argmax",
    "argmin",
    "bool_",
    "cat",
    "chunk",
    "clamp",
    "clip",
    "clone",
    "concat",
    "div",
    "enable_grad",
    "exp",
    "expand",
    "eye",
    "flatten",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "get_rng_state",
    "inspect",
    "data",
    "int32",
    "int64",
    "is_grad_enabled",
    "log",
    "log_softmax",
    "logsumexp",
    "long",
    "manual_seed",
    "masked_fill",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mul",
    "neg",
    "nn",
    "optim",
    "no_grad",
    "ones",
    "ones_like",
    "permute",
    "pow",
    "rand",
    "randint",
    "randn",
    "randperm",
    "relu",
    "reshape",
    "set_rng_state",
    "sigmoid",
    "softmax",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sub",
    "sum",
    "tanh",
    "tensor",
    "transpose",
    "unsqueeze",
    "var",
    "where",
    "zeros",
    "zeros_like",
]

from groundup import ops as _ops  # noqa: E402
from groundup import text  # noqa: E402  (WordPiece, BERT inputs, the shipped corpus)

__all__ += ["text"]
__all__ += [name for family in _ops._FAMILIES for name in family.__all__]
