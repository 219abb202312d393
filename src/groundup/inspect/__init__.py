"""Tools to look inside models and ops: gradient checking and model summaries."""

from groundup.inspect.gradcheck import Derivative, GradcheckError, GradcheckReport, gradcheck
from groundup.inspect.shapes import (
    conv_output_shape,
    conv_transpose_output_shape,
    pool_output_shape,
    same_padding,
)
from groundup.inspect.summary import LayerInfo, ModelSummary, summary

__all__ = [
    "conv_output_shape",
    "conv_transpose_output_shape",
    "pool_output_shape",
    "same_padding",
    "Derivative",
    "GradcheckError",
    "GradcheckReport",
    "LayerInfo",
    "ModelSummary",
    "gradcheck",
    "summary",
]
