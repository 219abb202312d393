"""Autoencoders: shapes through encoder and decoder, parameter counts, parity of the
convolutional one with torch, and a short training run that beats the mean image."""

import numpy as np
import pytest
import torch

import groundup as gu
from groundup.data.datasets import digits
from groundup.lab.experiments.cnn_training import reconstruction_error, train_autoencoder
from groundup.models import Autoencoder, ConvAutoencoder, build
from tests.oracle import assert_close


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_fully_connected_autoencoder_shapes_and_layers():
    model = Autoencoder((64, 32, 16, 2))
    x = gu.tensor(np.random.default_rng(0).random((5, 64)).astype(np.float32))
    z = model.encode(x)
    assert z.shape == (5, 2) and model(x).shape == (5, 64)
    out = model.decode(z).detach().numpy()
    assert out.min() > 0 and out.max() < 1  # sigmoid: pixels in (0, 1)
    # encoder 64-32-16-2 and its mirror 2-16-32-64
    assert n_params(model) == 2 * (64 * 32 + 32 * 16 + 16 * 2) + (32 + 16 + 2) + (16 + 32 + 64)
    assert [type(m).__name__ for m in model.encoder] == [
        "Linear",
        "ReLU",
        "Linear",
        "ReLU",
        "Linear",
    ]
    assert type(model.decoder[-1]).__name__ == "Sigmoid"
    with pytest.raises(ValueError, match="at least two positive sizes"):
        Autoencoder((64,))


def test_conv_autoencoder_shapes():
    model = ConvAutoencoder(latent_dim=2)
    x = gu.tensor(np.random.default_rng(0).random((3, 1, 8, 8)).astype(np.float32))
    assert model.encode(x).shape == (3, 2)
    assert model(x).shape == (3, 1, 8, 8)
    assert ConvAutoencoder(latent_dim=3, image_size=16)(
        gu.tensor(np.zeros((2, 1, 16, 16), np.float32))
    ).shape == (2, 1, 16, 16)
    with pytest.raises(ValueError, match="divisible by 4"):
        ConvAutoencoder(image_size=10)
    rebuilt = build(model.config)
    assert list(rebuilt.state_dict()) == list(model.state_dict())


def test_conv_autoencoder_matches_the_same_network_in_torch():
    ours = ConvAutoencoder(latent_dim=2)
    enc = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, 2, 1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(16, 32, 3, 2, 1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(128, 2),
    )
    proj = torch.nn.Sequential(torch.nn.Linear(2, 128), torch.nn.ReLU())
    dec = torch.nn.Sequential(
        torch.nn.ConvTranspose2d(32, 16, 3, 2, 1, output_padding=1),
        torch.nn.ReLU(),
        torch.nn.ConvTranspose2d(16, 1, 3, 2, 1, output_padding=1),
        torch.nn.Sigmoid(),
    )
    ref = torch.nn.ModuleDict({"encoder": enc, "project": proj, "decoder": dec})
    ref.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).random((4, 1, 8, 8)).astype(np.float32)
    gx, tx = gu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_g = ours(gx)
    out_t = dec(proj(enc(tx)).view(4, 32, 2, 2))
    assert_close(out_g, out_t, np.float32, "reconstruction")
    ((out_g - gx) ** 2).mean().backward()
    ((out_t - tx) ** 2).mean().backward()
    assert_close(gx.grad, tx.grad, np.float32, "input grad")
    grads = dict(ours.named_parameters())
    for name, p in ref.named_parameters():
        assert_close(grads[name].grad, p.grad, np.float32, name)


def test_short_training_beats_the_mean_image_on_held_out_digits():
    data = digits()
    baseline = float(((data.x_test - data.x_train.mean(0)) ** 2).mean())  # about 0.074
    gu.manual_seed(0)
    model = Autoencoder((64, 32, 16, 2))
    before = reconstruction_error(model, data.x_test)
    history = train_autoencoder(model, data.x_train, epochs=20, lr=1e-2)
    after = reconstruction_error(model, data.x_test)
    assert history[-1] < history[0]
    assert after < before and after < 0.8 * baseline  # a 2-number code beats the mean digit
    x = data.x_test.reshape(-1, 1, 8, 8)
    gu.manual_seed(0)
    conv = ConvAutoencoder()
    train_autoencoder(conv, data.x_train.reshape(-1, 1, 8, 8), epochs=5, lr=1e-2)
    assert reconstruction_error(conv, x) < baseline
