"""The CNN models: parameter counts, layer shapes, parity with torch's reference models,
configs that rebuild them, and the dataset -> model map the command line uses."""

import numpy as np
import pytest
import torch

import groundup as gu
from groundup.inspect import summary
from groundup.models import MNIST1DCNN, DigitsCNN, LeNet, build, cnn_for
from tests.oracle import assert_close


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts():
    # d2l's LeNet: (25+1)*6 + (150+1)*16 + 401*120 + 121*84 + 85*10
    assert n_params(LeNet()) == 156 + 2_416 + 48_120 + 10_164 + 850 == 61_706
    # the published small digits CNN: 16 3x3 filters, 2x2 pool, 64 hidden units
    assert n_params(DigitsCNN(channels=(16,), hidden=64, dropout=0.0)) == 160 + 16_448 + 650
    assert n_params(DigitsCNN(channels=(16,), hidden=64)) == 17_258  # dropout adds nothing
    # the default: (9+1)*32 + (288+1)*64 + (256+1)*128 + (128+1)*10
    assert n_params(DigitsCNN()) == 320 + 18_496 + 32_896 + 1_290 == 53_002
    # MNIST-1D: (5+1)*25 + 2 * (75+1)*25 + (125+1)*10
    assert n_params(MNIST1DCNN()) == 150 + 1_900 + 1_900 + 1_260 == 5_210


def test_lenet_shapes_follow_d2l():
    info = summary(LeNet(), (1, 28, 28), verbose=False)
    shapes = [r.output_shape[1:] for r in info.layers if r.depth == 2 and r.type != "ReLU"]
    assert shapes == [
        (6, 28, 28),
        (6, 14, 14),
        (16, 10, 10),
        (16, 5, 5),
        (400,),
        (120,),
        (84,),
        (10,),
    ]


def test_digits_cnn_shapes_and_batch_norm_option():
    x = gu.tensor(np.zeros((5, 1, 8, 8), np.float32))
    assert DigitsCNN()(x).shape == (5, 10)
    model = DigitsCNN(channels=(8, 16, 32), batch_norm=True)  # 8 -> 4 -> 2 -> 1
    assert model(x).shape == (5, 10)
    assert [type(m).__name__ for m in model.features][:4] == [
        "Conv2d",
        "BatchNorm2d",
        "ReLU",
        "MaxPool2d",
    ]


class TorchConvBase(torch.nn.Module):
    """greydanus/mnist1d's ConvBase, the published 5,210-parameter CNN."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(1, 25, 5, stride=2, padding=1)
        self.conv2 = torch.nn.Conv1d(25, 25, 3, stride=2, padding=1)
        self.conv3 = torch.nn.Conv1d(25, 25, 3, stride=2, padding=1)
        self.linear = torch.nn.Linear(125, 10)

    def forward(self, x):
        x = x.view(-1, 1, x.shape[-1])
        h = self.conv3(self.conv2(self.conv1(x).relu()).relu()).relu()
        return self.linear(h.view(h.shape[0], -1))


def test_mnist1d_cnn_equals_the_reference_model():
    ref = TorchConvBase()
    ours = MNIST1DCNN()
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((7, 40)).astype(np.float32)
    y = np.arange(7) % 10
    out_g, out_t = ours(gu.tensor(x)), ref(torch.tensor(x))
    assert_close(out_g, out_t, np.float32, "logits")
    gu.nn.functional.cross_entropy(out_g, gu.tensor(y)).backward()
    torch.nn.functional.cross_entropy(out_t, torch.tensor(y)).backward()
    ours_params = dict(ours.named_parameters())
    for name, p in ref.named_parameters():
        assert_close(ours_params[name].grad, p.grad, np.float32, name)
    assert ours(gu.tensor(x[:, None, :])).shape == (7, 10)  # (N, 1, 40) works too


def test_lenet_matches_torch_with_the_same_weights():
    t = torch.nn.Sequential()
    t.features = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
    )
    t.classifier = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(400, 120),
        torch.nn.ReLU(),
        torch.nn.Linear(120, 84),
        torch.nn.ReLU(),
        torch.nn.Linear(84, 10),
    )
    ours = LeNet()
    assert list(ours.state_dict()) == list(t.state_dict())
    t.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((4, 1, 28, 28)).astype(np.float32)
    gx, tx = gu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_g, out_t = ours(gx), t(tx)
    assert_close(out_g, out_t, np.float32, "logits")
    out_g.sum().backward()
    out_t.sum().backward()
    assert_close(gx.grad, tx.grad, np.float32, "input grad")


@pytest.mark.parametrize(
    "model",
    [
        LeNet(activation="tanh", pool="avg"),
        MNIST1DCNN(channels=8),
        DigitsCNN(channels=(4, 8), hidden=16, batch_norm=True),
    ],
    ids=lambda m: type(m).__name__,
)
def test_config_rebuilds_the_same_architecture(model):
    rebuilt = build(model.config)
    assert type(rebuilt) is type(model)
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {
        k: v.shape for k, v in model.state_dict().items()
    }


def test_cnn_for_maps_dataset_names_to_models():
    assert type(cnn_for("digits")) is DigitsCNN
    assert type(cnn_for("mnist1d")) is MNIST1DCNN
    assert type(cnn_for("MNIST-1D")) is MNIST1DCNN
    assert type(cnn_for("mnist")) is LeNet
    with pytest.raises(ValueError, match="no CNN for dataset 'cifar10'"):
        cnn_for("cifar10")
    with pytest.raises(ValueError, match="pool must be one of"):
        LeNet(pool="median")
