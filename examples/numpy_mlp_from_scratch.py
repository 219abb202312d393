"""An MLP for handwritten digits in plain NumPy: forward pass, backward pass and SGD by hand.

    python examples/numpy_mlp_from_scratch.py    # a few seconds, about 98% test accuracy

The data is scikit-learn's 8x8 digits (1,797 images, shipped with the package), a small
stand-in for MNIST: the code is the same for 28x28 images with n_in = 784.
"""

import numpy as np
from sklearn.datasets import load_digits


def load_data(seed=0):
    """Pixels scaled to [0, 1], shuffled, split 80/20 into train and test."""
    digits = load_digits()
    x = digits.data.astype(np.float32) / 16.0  # (1797, 64)
    y = digits.target  # (1797,) labels 0..9
    order = np.random.default_rng(seed).permutation(len(y))
    cut = int(0.8 * len(y))
    train, test = order[:cut], order[cut:]
    return x[train], y[train], x[test], y[test]


def init_params(n_in=64, n_hidden=100, n_out=10, seed=0):
    """He-normal weights (stored as (in, out), so a layer is x @ W + b) and zero biases."""
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0, np.sqrt(2 / n_in), (n_in, n_hidden)).astype(np.float32),
        "b1": np.zeros(n_hidden, np.float32),
        "W2": rng.normal(0, np.sqrt(2 / n_hidden), (n_hidden, n_out)).astype(np.float32),
        "b2": np.zeros(n_out, np.float32),
    }


def forward(p, x):
    h = np.maximum(0, x @ p["W1"] + p["b1"])  # (B, hidden) after ReLU
    return h, h @ p["W2"] + p["b2"]  # logits (B, 10)


def sgd_step(p, x, y, lr):
    """One SGD step on the mean cross-entropy of the batch; returns the loss."""
    n = len(y)
    h, logits = forward(p, x)
    z = logits - logits.max(axis=1, keepdims=True)  # shift so exp cannot overflow
    log_prob = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # log softmax (B, 10)
    loss = -log_prob[np.arange(n), y].mean()
    d_logits = np.exp(log_prob)  # d loss / d logits = (softmax - one_hot) / n
    d_logits[np.arange(n), y] -= 1
    d_logits /= n
    d_h = (d_logits @ p["W2"].T) * (h > 0)  # back through W2, then the ReLU's gate
    grads = {"W2": h.T @ d_logits, "b2": d_logits.sum(0), "W1": x.T @ d_h, "b1": d_h.sum(0)}
    for name in p:
        p[name] -= lr * grads[name]
    return float(loss)


def train(p, x, y, epochs=20, batch=32, lr=0.1, seed=0):
    """Shuffled mini-batches each epoch; returns the last batch's loss."""
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            idx = order[start : start + batch]
            loss = sgd_step(p, x[idx], y[idx], lr)
    return loss


def accuracy(p, x, y):
    return float(np.mean(forward(p, x)[1].argmax(axis=1) == y))


if __name__ == "__main__":
    x_train, y_train, x_test, y_test = load_data()
    params = init_params()
    loss = train(params, x_train, y_train)
    print(f"last loss {loss:.4f}, test accuracy {accuracy(params, x_test, y_test):.3f}")
