"""groundup: deep learning from the ground up, on NumPy, equal to PyTorch op for op."""

# first of all: the `groundup` command's Ctrl-C while the rest imports (see its docstring)
from groundup import _command  # noqa: F401, I001
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
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from groundup.ops.einsum import einsum
from groundup.ops.products import tensordot
from groundup.ops.random_factories import (
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
)
from groundup.ops.ranges import arange, linspace, logspace
from groundup.ops.shape import cat, concat, concatenate, stack
from groundup.ops.stacking import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    dstack,
    hstack,
    meshgrid,
    row_stack,
    vstack,
)
from groundup.ops.compare import *  # noqa: F403
from groundup.ops.math import *  # noqa: F403
from groundup.ops.math_binary import *  # noqa: F403
from groundup.ops.math_sign import *  # noqa: F403
from groundup.ops.cumulative import *  # noqa: F403
from groundup.ops.statistics import *  # noqa: F403
from groundup.ops.indexing import *  # noqa: F403
from groundup.ops.sorting import *  # noqa: F403
from groundup.ops.layout import *  # noqa: F403
from groundup.ops.products import *  # noqa: F403
from groundup.ops.linalg_torch import *  # noqa: F403
from groundup.ops.conversion import *  # noqa: F403
from groundup.ops.special import *  # noqa: F403
from groundup.ops.reduce_extra import *  # noqa: F403
from groundup.ops.counting import *  # noqa: F403
from groundup.ops.pairwise import *  # noqa: F403
from groundup.ops.shape_extra import *  # noqa: F403
from groundup.ops.dtype_info import *  # noqa: F403
from groundup.ops.sampling import *  # noqa: F403
from groundup.ops.nn_torch import *  # noqa: F403
from groundup.random import get_rng_state, manual_seed, set_rng_state
from groundup.serialization import load, save
from groundup.tensor import (
    Tensor,
    enable_grad,
    inference_mode,
    is_floating_point,
    is_grad_enabled,
    is_inference_mode_enabled,
    is_nonzero,
    is_tensor,
    no_grad,
    numel,
    set_grad_enabled,
)
from groundup.tensor_str import set_printoptions

from groundup.ops.creation import tensor  # torch's keywords: dtype=, device=
from groundup.device import backends, device
from groundup import cuda

# dtypes, with the names torch code spells (gu.float is float32, gu.int is int32)
float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)  # noqa: A001
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)  # noqa: A001
int64 = long = np.dtype(np.int64)
bool_ = bool = np.dtype(np.bool_)  # noqa: A001

__version__ = "0.1.0"

# Subpackages last: they import the names above.
from groundup import autograd, data, inspect, linalg, nn, optim  # noqa: E402

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
    "autograd",
    "linalg",
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
__all__ += ["inference_mode", "is_inference_mode_enabled", "set_grad_enabled", "set_printoptions"]
__all__ += ["is_floating_point", "is_nonzero", "is_tensor", "load", "numel", "save"]
__all__ += [name for family in _ops._FAMILIES for name in family.__all__]
__all__ += _ops._nn_torch.__all__
__all__ += ["float", "double", "half", "int", "short", "int8", "uint8", "int16", "bool"]
__all__ += ["as_tensor", "backends", "cuda", "device", "empty", "empty_like", "get_default_dtype"]
__all__ += ["linspace", "logspace", "rand_like", "randint_like", "randn_like", "einsum"]
__all__ += ["tensordot", "concatenate", "atleast_1d", "atleast_2d", "atleast_3d", "hstack"]
__all__ += ["vstack", "row_stack", "dstack", "column_stack", "meshgrid"]
