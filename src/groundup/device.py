"""`groundup.device`: where a tensor lives, and the check every `device=` argument goes through.

groundup computes with NumPy on the CPU, so `device("cpu")` is the only device a tensor can
have. As in torch, the other device names can be spelled (`device("cuda")` is a valid object,
which is what `device("cuda" if cuda.is_available() else "cpu")` needs), but using one for a
tensor raises a RuntimeError that says so.

    >>> device("cpu:0")
    device(type='cpu', index=0)
    >>> str(device("cpu"))
    'cpu'
"""

from __future__ import annotations

import builtins
import re
from typing import Any

# The device types torch knows (torch.device("foo") lists them in its error message).
_TYPES = (
    "cpu",
    "cuda",
    "ipu",
    "xpu",
    "mkldnn",
    "opengl",
    "opencl",
    "ideep",
    "hip",
    "ve",
    "fpga",
    "maia",
    "xla",
    "lazy",
    "vulkan",
    "mps",
    "meta",
    "hpu",
    "mtia",
    "privateuseone",
)
_DEVICE_STRING = re.compile(r"([a-z]+)(?::(0|[1-9][0-9]*))?")


class device:  # noqa: N801 - torch's name
    """A device: a type ("cpu", "cuda", ...) and an optional index ("cpu:0").

    Two devices are equal when type and index are; like torch's, a device never equals a
    string (`device("cpu") == "cpu"` is False: compare `str(d)` or `d.type`).
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type: Any, index: Any = None) -> None:  # noqa: A002 - torch's name
        if isinstance(type, device) and index is None:
            self._type, self._index = type.type, type.index
            return
        if isinstance(type, builtins.int) and not isinstance(type, builtins.bool):
            raise RuntimeError(
                f"device({type}): a bare index names an accelerator, and groundup runs on the "
                "CPU only; use device('cpu')"
            )
        if not isinstance(type, str):
            raise TypeError(
                f"device(): argument 'type' must be str, not {builtins.type(type).__name__}"
            )
        if index is not None and (
            not isinstance(index, builtins.int) or isinstance(index, builtins.bool)
        ):
            raise TypeError(
                f"device(): argument 'index' must be int, not {builtins.type(index).__name__}"
            )
        match = _DEVICE_STRING.fullmatch(type)
        if match is None:
            raise RuntimeError(f"Invalid device string: {type!r}")
        kind, number = match.group(1), match.group(2)
        if kind not in _TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}"
            )
        if number is not None:
            if index is not None:
                raise RuntimeError(
                    f"type (string) must not include an index because index was passed "
                    f"explicitly: {type}"
                )
            index = builtins.int(number)
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self._type, self._index = kind, index

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self) -> builtins.int | None:
        return self._index

    def __eq__(self, other: object) -> builtins.bool:
        if not isinstance(other, device):
            return NotImplemented
        return (self._type, self._index) == (other._type, other._index)

    def __hash__(self) -> builtins.int:
        return hash((self._type, self._index))

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type={self._type!r})"
        return f"device(type={self._type!r}, index={self._index})"

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (device, (self._type, self._index))


CPU = device("cpu")


def check_device(dev: Any, op: str) -> None:
    """Accept `device=` when it names the CPU ("cpu", "cpu:0", device("cpu"), None); raise
    torch's RuntimeError for any other device, naming it and the op."""
    if dev is None:
        return
    if isinstance(dev, builtins.int) and not isinstance(dev, builtins.bool):
        raise RuntimeError(
            f"{op}: device={dev} names an accelerator, and groundup runs on the CPU only; "
            "use device='cpu' (or leave device= out)"
        )
    if not isinstance(dev, (str, device)):
        raise TypeError(
            f"{op}: device must be a string or a groundup.device, got {type(dev).__name__}"
        )
    d = device(dev)
    if d.type != "cpu":
        raise RuntimeError(
            f"{op}: device '{d}' is not available: groundup runs on the CPU only (with NumPy); "
            "use device='cpu' (or leave device= out)"
        )


# ------------------------------------------------------------- torch.backends
class _MPS:
    """torch.backends.mps: Apple's GPU backend, which groundup does not have."""

    @staticmethod
    def is_available() -> builtins.bool:
        return False

    @staticmethod
    def is_built() -> builtins.bool:
        return False


class _Backends:
    """`groundup.backends.mps.is_available()`: the availability queries torch code makes."""

    mps = _MPS()


backends = _Backends()
