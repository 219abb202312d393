"""The rest of torch's pointwise activations: the ELU family (elu, selu, celu), softplus,
hardtanh and relu6, silu, mish, hardswish, hardsigmoid, logsigmoid, softsign, tanhshrink,
softshrink, hardshrink and threshold (prelu, rrelu and glu are in `activation_param`).

Each is one Function where torch has a kernel (so the gradient at a kink is torch's, e.g.
hardtanh's is 0 at the boundaries where clamp's is 1), and a composition of ops where torch
composes too (softsign, tanhshrink). These take the out-of-place torch signatures; the
`inplace=` forms of `nn.functional` wrap them with `groundup.inplace.apply_inplace`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup._lazy import special
from groundup.function import Function
from groundup.ops import elementwise as E
from groundup.ops.activation import UnsupportedDtypeError, tanh
from groundup.tensor import Tensor

# selu's constants (Klambauer et al., 2017), as torch spells them
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _floating(name: str, x: Tensor) -> None:
    if x._data.dtype.kind != "f":
        raise UnsupportedDtypeError(
            f"{name}: expected a floating-point tensor, got dtype {x.dtype}; convert it with "
            ".float()"
        )


def _not_bool(name: str, x: Tensor) -> None:
    if x._data.dtype == np.bool_:
        raise RuntimeError(f"{name}: bool inputs are not supported; convert with .float()")


class ELU(Function):
    """torch's elu kernel, shared by elu, selu and celu:

    y = scale x for x > 0, else scale alpha (exp(input_scale x) - 1);
    dy/dx = scale for x > 0, else scale alpha s exp(s x) (x = 0 included), where s is
    input_scale, except for celu: torch's celu backward takes s = 1 / float32(alpha).
    """

    saves = ()

    def forward(
        self, x: np.ndarray, alpha: float, scale: float, input_scale: float, grad_scale: float
    ) -> np.ndarray:
        negative = x <= 0
        x_neg = np.where(negative, x, 0)  # no overflow in exp on the positive side
        self.slope = np.where(
            negative, np.exp(x_neg * grad_scale) * (scale * alpha * grad_scale), scale
        )
        return np.where(negative, np.expm1(x_neg * input_scale) * (alpha * scale), x * scale)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None, None, None]:
        return grad * self.slope, None, None, None, None


class Softplus(Function):
    """y = log(1 + exp(beta x)) / beta, or x where beta x > threshold (linear there);
    dy/dx = sigmoid(beta x), or 1 in the linear region."""

    saves = (0,)

    def forward(self, x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
        self.x, self.beta, self.threshold = x, beta, threshold
        bx = x * beta
        return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta).astype(x.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        bx = self.x * self.beta
        return np.where(bx > self.threshold, grad, grad * special.expit(bx)), None, None


class Hardtanh(Function):
    """clamp(x, min_val, max_val); the gradient is 1 strictly inside, 0 at the boundaries."""

    saves = ()

    def forward(self, x: np.ndarray, min_val: float, max_val: float) -> np.ndarray:
        self.inside = (x > min_val) & (x < max_val)
        return np.clip(x, min_val, max_val).astype(x.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        return grad * self.inside, None, None


class SiLU(Function):
    """x sigmoid(x) (swish); dy/dx = s (1 + x (1 - s)) with s = sigmoid(x)."""

    saves = (0,)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x, self.s = x, special.expit(x)
        return x * self.s

    def backward(self, grad: np.ndarray) -> np.ndarray:
        s = self.s
        return grad * s * (1 + self.x * (1 - s))


class Mish(Function):
    """x tanh(softplus(x)) (Misra, 2019); dy/dx = t + x sigmoid(x) (1 - t^2), t = tanh(softplus)."""

    saves = (0,)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x, self.t = x, np.tanh(np.logaddexp(0, x))
        return x * self.t

    def backward(self, grad: np.ndarray) -> np.ndarray:
        t = self.t
        return grad * (t + self.x * special.expit(self.x) * (1 - t * t))


class Hardswish(Function):
    """x relu6(x + 3) / 6 (Howard et al., 2019); dy/dx = 0 for x <= -3, x/3 + 1/2 inside,
    1 for x >= 3 (torch's values at the kinks)."""

    saves = (0,)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x * np.clip(x + 3, 0, 6) / 6

    def backward(self, grad: np.ndarray) -> np.ndarray:
        x = self.x
        slope = np.where(x <= -3, 0, np.where(x < 3, x / 3 + 0.5, 1))
        return grad * slope.astype(x.dtype)


# torch's hardsigmoid backward multiplies by the float32 number nearest 1/6, in every dtype
_ONE_SIXTH_FLOAT32 = float(np.float32(1 / 6))


class Hardsigmoid(Function):
    """relu6(x + 3) / 6; the gradient is 1/6 strictly inside (-3, 3), else 0."""

    saves = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.inside = (x > -3) & (x < 3)
        return np.clip(x + 3, 0, 6) / 6

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.inside * _ONE_SIXTH_FLOAT32


class LogSigmoid(Function):
    """log sigmoid(x) = -softplus(-x), without overflow; dy/dx = sigmoid(-x)."""

    saves = (0,)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return special.log_expit(x)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * special.expit(-self.x)


class Shrink(Function):
    """softshrink (x - lambd sign(x) where |x| > lambd, else 0) and hardshrink (x where
    |x| > lambd, else 0): the gradient is 1 where x passes, 0 elsewhere."""

    saves = ()

    def forward(self, x: np.ndarray, lambd: float, soft: bool) -> np.ndarray:
        above, below = x > lambd, x < -lambd
        self.passes = above | below
        if not soft:
            return np.where(self.passes, x, 0).astype(x.dtype)
        return np.where(above, x - lambd, np.where(below, x + lambd, 0)).astype(x.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        return grad * self.passes, None, None


class Threshold(Function):
    """`value` where x <= threshold, else x; the gradient is 1 where x is kept. As in torch,
    a NaN compares false, so a NaN input stays NaN and a NaN threshold keeps every x."""

    saves = ()

    def forward(self, x: np.ndarray, threshold: float, value: float) -> np.ndarray:
        replaced = x <= threshold
        self.passes = ~replaced
        return np.where(replaced, np.asarray(value).astype(x.dtype), x)

    def backward(self, grad: np.ndarray) -> tuple[Any, None, None]:
        return grad * self.passes, None, None


# ------------------------------------------------------------------ functional API
def elu(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002 - torch's names
    """x for x > 0, alpha (exp(x) - 1) otherwise (Clevert et al., 2015)."""
    _floating("elu", input)
    return ELU.apply(input, float(alpha), 1.0, 1.0, 1.0)


def selu(input: Tensor) -> Tensor:  # noqa: A002
    """scale * elu(x, alpha) with the self-normalizing constants of Klambauer et al."""
    _floating("selu", input)
    return ELU.apply(input, SELU_ALPHA, SELU_SCALE, 1.0, 1.0)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (Barron, 2017)."""
    _floating("celu", input)
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    return ELU.apply(input, float(alpha), 1.0, 1.0 / alpha, 1.0 / float(np.float32(alpha)))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """log(1 + exp(beta x)) / beta, a smooth relu; linear where beta x > threshold."""
    _floating("softplus", input)
    return Softplus.apply(input, beta, threshold)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """clamp(x, min_val, max_val), with zero gradient at and beyond the boundaries."""
    _not_bool("hardtanh", input)
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val cannot be greater than max_val, got {min_val} > {max_val}"
        )
    return Hardtanh.apply(input, min_val, max_val)


def relu6(input: Tensor) -> Tensor:  # noqa: A002
    """min(max(x, 0), 6) = hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0)


def silu(input: Tensor) -> Tensor:  # noqa: A002
    """x sigmoid(x) (the swish of Ramachandran et al., 2017)."""
    _floating("silu", input)
    return SiLU.apply(input)


def mish(input: Tensor) -> Tensor:  # noqa: A002
    """x tanh(softplus(x))."""
    _floating("mish", input)
    return Mish.apply(input)


def hardswish(input: Tensor) -> Tensor:  # noqa: A002
    """x relu6(x + 3) / 6, a cheap silu (MobileNetV3)."""
    _floating("hardswish", input)
    return Hardswish.apply(input)


def hardsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """relu6(x + 3) / 6, a cheap sigmoid."""
    _floating("hardsigmoid", input)
    return Hardsigmoid.apply(input)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """log(1 / (1 + exp(-x))), stable for large |x|."""
    _floating("logsigmoid", input)
    return LogSigmoid.apply(input)


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """x / (|x| + 1), composed from ops exactly as torch composes it."""
    return E.div(input, E.add(E.abs(input), 1))


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """x - tanh(x), composed as in torch."""
    return E.sub(input, tanh(input))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x - lambd for x > lambd, x + lambd for x < -lambd, 0 in between (lambd >= 0)."""
    _floating("softshrink", input)
    if not lambd >= 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found {lambd}")
    return Shrink.apply(input, lambd, True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x where |x| > lambd, else 0."""
    _floating("hardshrink", input)
    return Shrink.apply(input, lambd, False)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """value where x <= threshold, else x (integer tensors stay integer, as in torch)."""
    if input._data.dtype == np.bool_:
        raise UnsupportedDtypeError("threshold: bool tensors are not supported")
    value = value.item() if isinstance(value, Tensor) else value
    return Threshold.apply(input, threshold, value)
