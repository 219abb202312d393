"""PyTorch code runs unchanged with `import groundup as torch`.

Each program below is ordinary hand-written torch code. It runs twice, once with `torch`
bound to PyTorch and once to groundup, from the same weights; the losses it prints along
the way must agree.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pytest
import torch as real_torch

import groundup

PROGRAMS = {
    "manual_sgd": """
        torch.manual_seed(0)
        x = torch.tensor(X)
        y = torch.tensor(Y)
        w = torch.tensor(W1, requires_grad=True)
        b = torch.zeros(4, requires_grad=True)
        v = torch.tensor(W2, requires_grad=True)
        params = [w, b, v]
        for step in range(30):
            hidden = torch.tanh(x @ w.T + b)
            loss = ((hidden @ v.T - y) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= 0.1 * p.grad
                    p.grad.zero_()
            losses.append(loss.item())
    """,
    "manual_adam": """
        x = torch.tensor(X)
        y = torch.tensor(Y)
        params = [torch.tensor(W1, requires_grad=True), torch.tensor(W2, requires_grad=True)]
        m = [torch.zeros_like(p) for p in params]
        s = [torch.zeros_like(p) for p in params]
        beta1, beta2, lr, eps = 0.9, 0.999, 1e-2, 1e-8
        for t in range(1, 31):
            loss = ((torch.relu(x @ params[0].T) @ params[1].T - y) ** 2).mean()
            for p in params:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p, m_p, s_p in zip(params, m, s):
                    m_p.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                    s_p.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                    m_hat = m_p / (1 - beta1**t)
                    s_hat = s_p / (1 - beta2**t)
                    p.addcdiv_(m_hat, s_hat.sqrt().add_(eps), value=-lr)
            losses.append(loss.item())
    """,
    "gradient_accumulation": """
        x = torch.tensor(X)
        y = torch.tensor(Y)
        w = torch.tensor(W1, requires_grad=True)
        v = torch.tensor(W2, requires_grad=True)
        opt = torch.optim.SGD([w, v], lr=0.05, momentum=0.9)
        for step in range(10):
            opt.zero_grad()
            total = 0.0
            for chunk in range(4):
                xb, yb = x[chunk * 4 : (chunk + 1) * 4], y[chunk * 4 : (chunk + 1) * 4]
                loss = ((torch.sigmoid(xb @ w.T) @ v.T - yb) ** 2).mean() / 4
                loss.backward()
                total += loss.detach()
            for p in (w, v):
                p.grad += 0.0 * p  # a hand-written hook-style edit of the gradient
            opt.step()
            losses.append(float(total))
    """,
    "weight_tying_and_in_place_init": """
        torch.manual_seed(0)
        emb = torch.nn.Embedding(10, 4)
        head = torch.nn.Linear(4, 10, bias=False)
        head.weight = emb.weight  # tied: one parameter, two uses
        with torch.no_grad():
            emb.weight.copy_(torch.tensor(E))
            emb.weight[0].fill_(0.0)
            emb.weight.mul_(0.5)
        opt = torch.optim.Adam(emb.parameters(), lr=1e-2)
        tokens = torch.tensor(TOKENS)
        for step in range(15):
            logits = head(emb(tokens[:, :-1]))
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, 10), tokens[:, 1:].reshape(-1)
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert len(list(emb.parameters())) == 1
    """,
    "causal_mask_from_triu": """
        q = torch.tensor(Q, requires_grad=True)
        k = torch.tensor(K)
        t = q.shape[1]
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
        scores = scores.masked_fill(mask, float("-inf"))
        attn = torch.softmax(scores, dim=-1)
        out = attn @ k
        out.sum().backward()
        losses.append(out.sum().item())
        losses.append(q.grad.abs().sum().item())
        losses.append(attn[0, 0, 1].item())
    """,
    "buffer_filled_in_a_loop": """
        x = torch.tensor(X, requires_grad=True)
        h = torch.zeros(4)
        outputs = torch.zeros(16, 4)
        for step in range(16):
            h = torch.tanh(x[step] * 0.5 + h * 0.9)
            outputs[step] = h
        loss = outputs.pow(2).sum()
        loss.backward()
        losses.append(loss.item())
        losses.append(x.grad.sum().item())
    """,
}


def _data() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    f32 = np.float32
    return {
        "X": rng.standard_normal((16, 4)).astype(f32),
        "Y": rng.standard_normal((16, 2)).astype(f32),
        "W1": (rng.standard_normal((4, 4)) * 0.5).astype(f32),
        "W2": (rng.standard_normal((2, 4)) * 0.5).astype(f32),
        "E": rng.standard_normal((10, 4)).astype(f32),
        "TOKENS": rng.integers(0, 10, (3, 7)).tolist(),
        "Q": rng.standard_normal((2, 5, 4)).astype(f32),
        "K": rng.standard_normal((2, 5, 4)).astype(f32),
    }


def _run(program: str, library: Any) -> list[float]:
    losses: list[float] = []
    namespace = {"torch": library, "losses": losses, **_data()}
    exec(textwrap.dedent(program), namespace)  # noqa: S102 - the program is ours
    return losses


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_torch_program_runs_unchanged(name):
    ours = _run(PROGRAMS[name], groundup)
    theirs = _run(PROGRAMS[name], real_torch)
    assert len(ours) == len(theirs) > 0
    np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=1e-5)
