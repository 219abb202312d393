"""tools/torch_coverage.py: the curated names exist in torch, groundup's column is looked
up in groundup, and docs/torch-coverage.md is up to date."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


def _load_tool():
    sys.path.insert(0, str(ROOT / "tools"))
    path = ROOT / "tools" / "torch_coverage.py"
    spec = importlib.util.spec_from_file_location("torch_coverage", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()
FAMILIES = tool.FAMILIES


def _torch_samples():
    layer = torch.nn.Linear(2, 2)
    return {
        "@Tensor": torch.ones(2, 2),
        "@Module": layer,
        "@Optimizer": torch.optim.SGD(layer.parameters(), lr=0.1),
    }


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.title)
def test_every_listed_name_exists_in_torch(family):
    samples = _torch_samples()
    missing = []
    for name in family.names:
        if family.groundup_root in samples:
            ok = hasattr(samples[family.groundup_root], name)
        else:
            ok = tool._resolve(tool.torch_name(family, name)) is not tool._MISSING
        if not ok:
            missing.append(name)
    assert not missing, f"not in torch {torch.__version__}: {missing}"


def test_the_list_is_broad_and_has_no_repeats():
    total = sum(len(f.names) for f in FAMILIES)
    assert total >= 400
    for f in FAMILIES:
        assert len(set(f.names)) == len(f.names), f.title
        assert set(f.groundup) <= set(f.names), f.title
    titles = [f.title for f in FAMILIES]
    assert len(set(titles)) == len(titles)
    for full in tool.NOTES:  # a note must belong to a listed name
        assert any(full == tool.torch_name(f, n) for f in FAMILIES for n in f.names), full


def test_groundup_column_is_looked_up_not_listed():
    samples = tool._samples()
    names = ("exp", "no_such_op", "bool")
    fam = tool.Family("t", "torch", "groundup", names, {"bool": "groundup.bool_"})
    assert [tool.has(fam, n, samples) for n in fam.names] == [True, False, True]
    methods = tool.Family("m", "torch.Tensor", "@Tensor", ("exp", "exp_", "shape", "no_such_op"))
    assert [tool.has(methods, n, samples) for n in methods.names] == [True, True, True, False]
    nested = tool.Family("n", "torch.nn.utils", "groundup.nn.utils", ("parameters_to_vector",))
    assert tool.has(nested, "parameters_to_vector", samples)


def test_render_is_a_table_per_family():
    text = tool.render()
    for f in FAMILIES:
        assert f"\n## {f.title}\n" in text
    assert "| `torch.save` | yes | safetensors" in text
    cuda = next(line for line in text.splitlines() if "`torch.cuda.is_available`" in line)
    assert cuda.endswith("| CPU only: groundup runs on NumPy |")


def test_coverage_file_is_up_to_date():
    # fails until docs/torch-coverage.md is regenerated after groundup gains or loses a name
    assert tool.main(["--check"]) == 0, "run: python tools/torch_coverage.py"
