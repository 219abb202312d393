"""L-BFGS (Nocedal, 1980; Liu & Nocedal, 1989): a quasi-Newton method that builds the
search direction from the last `history_size` steps and gradient changes, with an
optional strong-Wolfe line search. `step(closure)` runs up to `max_iter` iterations.

All parameters are handled as one flat vector. The scalars of the method (dot products,
step lengths) are NumPy scalars of the parameters' dtype, as torch keeps them in 0-d
tensors, so float32 runs round where torch's do.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from groundup.optim.optimizer import Optimizer, ParamsT, StateDict, check_nonnegative
from groundup.tensor import Tensor, enable_grad

Closure = Callable[[], Any]


def _cubic_interpolate(
    x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any, bounds: Any = None
) -> Any:
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2,
    clipped to `bounds` (default: between x1 and x2); their midpoint if the cubic has
    no real minimizer. (minFunc's polyinterp; Nocedal & Wright eq. 3.59.)"""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(
    obj_func: Callable[[Any, Any, np.ndarray], tuple[float, np.ndarray]],
    x: list[np.ndarray],
    t: Any,
    d: np.ndarray,
    f: float,
    g: np.ndarray,
    gtd: Any,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, Any, int]:
    """A step length t along d meeting the strong Wolfe conditions (Nocedal & Wright,
    Algorithms 3.5 and 3.6): sufficient decrease f(t) <= f + c1 t g·d and curvature
    |g(t)·d| <= c2 |g·d|. First bracket such a t, then zoom in by cubic interpolation.
    Returns (loss, flat gradient, t, function evaluations)."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # bracketing phase
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate: a cubic step, at least 1% beyond t, at most 10 t
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:  # no bracket found within the budget
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom phase: shrink the bracket until a point meets the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        # a t too close to an end of the bracket makes little progress: move it 10% in
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # not a sufficient decrease, or not below the lowest point: new high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True  # the strong Wolfe conditions hold
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the old high end becomes the low end
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    """L-BFGS, PyTorch's algorithm step for step (one parameter group only).

    Each iteration of `step(closure)`, with g the flat gradient:

        y = g - g_prev, s = t d;  keep (y, s, ρ = 1/y·s) if y·s > 1e-10, at most
        `history_size` pairs (states 'old_dirs', 'old_stps', 'ro'); H_diag = y·s / y·y
        d = -H g  by the two-loop recursion (Nocedal & Wright, Algorithm 7.4), with
            H₀ = H_diag·I; on the very first iteration d = -g
        t = lr (first iteration: min(1, 1/‖g‖₁) lr), or a strong-Wolfe line search from it
        θ ← θ + t d, then re-evaluate the closure

    It stops after `max_iter` iterations, `max_eval` closure calls, when max|g| <=
    `tolerance_grad`, or when the step or the loss change falls below `tolerance_change`.
    The global state lives in the state of the first parameter, as in torch.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        check_nonnegative("learning rate", lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(
                "LBFGS doesn't support per-parameter options (parameter groups); "
                "pass all parameters in one group"
            )
        self._params: list[Tensor] = self.param_groups[0]["params"]

    # ------------------------------------------------------- flat-vector helpers
    def _gather_flat_grad(self) -> np.ndarray:
        """Every gradient in one vector (zeros for a parameter without one)."""
        return np.concatenate(
            [
                np.zeros(p._data.size, p.dtype) if p.grad is None else p.grad._data.reshape(-1)
                for p in self._params
            ]
        )

    def _add_grad(self, step_size: Any, update: np.ndarray) -> None:
        """θ ← θ + step_size · update, in place, one parameter's slice at a time."""
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += step_size * update[offset : offset + n].reshape(p.shape)
            p._vc.value += 1
            offset += n

    def _clone_param(self) -> list[np.ndarray]:
        return [p._data.copy() for p in self._params]

    def _set_param(self, params_data: list[np.ndarray]) -> None:
        for p, data in zip(self._params, params_data, strict=True):
            p._data[...] = data
            p._vc.value += 1

    def _directional_evaluate(
        self, closure: Closure, x: list[np.ndarray], t: Any, d: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Loss and gradient at x + t d; the parameters are put back to x afterwards."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ---------------------------------------------------------------------- step
    def step(self, closure: Closure | None = None) -> Any:
        """Run up to `max_iter` iterations; `closure` (required) zeroes the gradients,
        computes the loss, calls `backward()` and returns the loss. Returns the loss of
        the closure's first call."""
        if closure is None:
            raise TypeError("LBFGS.step() needs a closure that recomputes the loss")
        if len(self.param_groups) != 1:
            raise ValueError(f"LBFGS expects one parameter group, got {len(self.param_groups)}")
        self._opt_called = True

        def evaluate() -> Any:
            with enable_grad():
                return closure()

        group = self.param_groups[0]
        lr = group["lr"]  # an int stays an int, as in torch (t = lr is saved in the state)
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss  # already optimal

        # carried over from the previous step() (None on the first)
        d: Any = state.get("d")
        t: Any = state.get("t")
        old_dirs: Any = state.get("old_dirs")
        old_stps: Any = state.get("old_stps")
        ro: Any = state.get("ro")
        H_diag: Any = state.get("H_diag")
        prev_flat_grad: Any = state.get("prev_flat_grad")
        prev_loss: Any = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # ---- the search direction
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)  # y·s > 0: the curvature condition
                if ys > 1e-10:
                    if len(old_dirs) == history_size:  # forget the oldest pair
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)  # scale of the initial inverse Hessian
                # two-loop recursion: d = -H g
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # ---- the step length
            first = state["n_iter"] == 1  # then the gradient's size sets the scale
            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if first else lr
            gtd = flat_grad.dot(d)  # directional derivative
            if gtd > -tolerance_change:
                break  # not a descent direction any more

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError(
                        f"LBFGS: only 'strong_wolfe' is supported as line_search_fn, "
                        f"got {line_search_fn!r}"
                    )
                x_init = self._clone_param()

                def obj_func(x: list[np.ndarray], t: Any, d: np.ndarray) -> Any:
                    return self._directional_evaluate(evaluate, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)  # a fixed step
                opt_cond = False
                if n_iter != max_iter:  # the last iteration's loss would go unused
                    loss = float(evaluate())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # ---- stopping conditions
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break  # the step is too small
            if abs(loss - prev_loss) < tolerance_change:
                break  # the loss stopped changing

        state["d"], state["t"] = d, t
        state["old_dirs"], state["old_stps"], state["ro"] = old_dirs, old_stps, ro
        state["H_diag"] = H_diag
        state["prev_flat_grad"], state["prev_loss"] = prev_flat_grad, prev_loss
        return orig_loss

    # --------------------------------------------------------------------- state
    def state_dict(self) -> StateDict:
        """As `Optimizer.state_dict`, with the history lists copied too."""
        saved = super().state_dict()
        saved["state"] = copy.deepcopy(saved["state"])
        return saved

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Restore what `state_dict()` saved. The state holds flat vectors and lists,
        which are copied as they are (arrays cast to the parameters' dtype)."""
        super().load_state_dict({**state_dict, "state": {}})
        dtype = self._params[0].dtype
        for key, values in state_dict["state"].items():
            if int(key) != 0:
                raise ValueError(f"LBFGS keeps its state in parameter 0, got state for {key}")
            self.state[self._params[0]] = {
                name: _load_lbfgs_value(v, dtype) for name, v in values.items()
            }


def _load_lbfgs_value(value: Any, dtype: Any) -> Any:
    if isinstance(value, Tensor):
        value = value._data
    if isinstance(value, list):
        return [_load_lbfgs_value(v, dtype) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.array(value, dtype=dtype if value.dtype.kind == "f" else value.dtype)
        return array[()] if array.ndim == 0 else array  # 0-d: a scalar, as the step makes
    return copy.deepcopy(value)
