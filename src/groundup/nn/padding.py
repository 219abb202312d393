"""Padding layers: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad and CircularPad, each
in 1d, 2d and 3d. `padding` is an int (the same on every side) or a tuple (left, right[,
top, bottom[, front, back]]), the order of F.pad."""

from __future__ import annotations

from groundup.nn import functional as F
from groundup.nn.module import Module
from groundup.tensor import Tensor


class _PadNd(Module):
    """F.pad(input, self.padding, mode) over the last `_dims` dims."""

    _dims = 1
    _mode = "constant"

    def __init__(self, padding: int | tuple[int, ...]):
        super().__init__()
        self.padding = (padding,) * (2 * self._dims) if isinstance(padding, int) else tuple(padding)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's names
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: int | tuple[int, ...], value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with `value`."""


class ConstantPad2d(_ConstantPadNd):
    """Pad the last 2 dims with `value`."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last 3 dims with `value`."""

    _dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros."""

    def __init__(self, padding: int | tuple[int, ...]):
        _ConstantPadNd.__init__(self, padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last 2 dims with zeros (e.g. an image's borders)."""

    __init__ = ZeroPad1d.__init__
    extra_repr = ZeroPad1d.extra_repr


class ZeroPad3d(ConstantPad3d):
    """Pad the last 3 dims with zeros."""

    __init__ = ZeroPad1d.__init__
    extra_repr = ZeroPad1d.extra_repr


class ReflectionPad1d(_PadNd):
    """Mirror the last dim about its edges (the edge itself is not repeated)."""

    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    _dims = 2


class ReflectionPad3d(ReflectionPad1d):
    _dims = 3


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last dim."""

    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    _dims = 2


class ReplicationPad3d(ReplicationPad1d):
    _dims = 3


class _CircularPadNd(_PadNd):
    """Wrap around: the start of a dim pads its end and the other way round."""

    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim not in (self._dims + 1, self._dims + 2):
            raise ValueError(
                f"{type(self).__name__}: expected {self._dims + 1}D or {self._dims + 2}D input "
                f"(got {input.ndim}D input)"
            )
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    pass


class CircularPad2d(_CircularPadNd):
    _dims = 2


class CircularPad3d(_CircularPadNd):
    _dims = 3
