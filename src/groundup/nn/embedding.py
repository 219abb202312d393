"""Embedding: a lookup table of `num_embeddings` learnable vectors of size `embedding_dim`."""

from __future__ import annotations

from typing import Any

import numpy as np

from groundup.errors import check_sizes
from groundup.nn import init
from groundup.nn.module import Module, Parameter, factory_dtype
from groundup.ops.embedding import checked_indices, embedding
from groundup.tensor import Tensor, no_grad


class Embedding(Module):
    """Row i of `weight` (num_embeddings, embedding_dim) is the vector of token i.

    Default init is torch's N(0, 1); the `padding_idx` row starts at zero and gets no
    gradient. With `max_norm`, the rows looked up are rescaled in place (no gradient) to a
    `norm_type`-norm of at most max_norm before each lookup, as torch does.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Any = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ):
        super().__init__()
        check_sizes("Embedding", num_embeddings=num_embeddings, embedding_dim=embedding_dim)
        if scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: scale_grad_by_freq and sparse are not supported")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx {padding_idx} must be within "
                    f"[-{num_embeddings}, {num_embeddings}) for {num_embeddings} embeddings"
                )
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        shape = (num_embeddings, embedding_dim)
        if _weight is None:
            self.weight = Parameter(
                np.empty(shape, factory_dtype(device, dtype)), requires_grad=not _freeze
            )
            self.reset_parameters()
        else:
            data = _weight._data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if data.shape != shape:
                raise ValueError(
                    f"Embedding: _weight has shape {data.shape}, expected {shape} "
                    "(num_embeddings, embedding_dim)"
                )
            self.weight = Parameter(data, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        if self.max_norm is not None:
            self._renorm(input)
        return embedding(input, self.weight, self.padding_idx)

    def _renorm(self, input: Any) -> None:
        """Scale each looked-up row whose norm exceeds max_norm by max_norm / (norm + 1e-7).

        The indices are checked first: a bad index changes no row."""
        idx = np.unique(checked_indices(input, self.weight))
        self.weight._vc.value += 1  # torch's embedding_renorm_ is an in-place op
        with no_grad():
            rows = self.weight._data[idx]  # (k, embedding_dim)
            norms = np.linalg.norm(rows, ord=self.norm_type, axis=1, keepdims=True)
            scale = np.where(norms > self.max_norm, self.max_norm / (norms + 1e-7), 1)
            self.weight._data[idx] = rows * scale.astype(rows.dtype)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose weight is (a copy of) the 2-D `embeddings`; frozen by default.
        The padding row keeps its given values (it only stops receiving gradient)."""
        data = embeddings._data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if data.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, "
                f"embedding_dim), got shape {data.shape}"
            )
        return cls(
            data.shape[0],
            data.shape[1],
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
            _weight=data,
            _freeze=freeze,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        return s
