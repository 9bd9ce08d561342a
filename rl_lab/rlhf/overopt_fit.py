"""Gao, Schulman & Hilton's (2022) functional forms of gold reward against d = √KL, fitted by least squares.

Best-of-n: R(d) = d (α - β d); RL: R(d) = d (α - β log d); R is the gold reward gained over the
starting policy. Both forms are linear in (α, β), so the fit is ordinary least squares.
"""

from __future__ import annotations

import numpy as np

FORMS = ("bon", "rl")


def _design(d: np.ndarray, form: str) -> np.ndarray:
    if form == "bon":
        return np.stack([d, -d * d], axis=1)
    if form == "rl":
        return np.stack([d, -d * np.log(d)], axis=1)
    raise ValueError(f"form must be one of {FORMS}, got {form!r}")


def fit_gao(kl: np.ndarray, gain: np.ndarray, form: str) -> dict[str, float]:
    """Fit gold ``gain`` against ``kl`` (nats); return alpha, beta and R² (points with KL > 0 only)."""
    kl, gain = np.asarray(kl, dtype=np.float64), np.asarray(gain, dtype=np.float64)
    keep = kl > 1e-9
    d, y = np.sqrt(kl[keep]), gain[keep]
    if len(d) < 3:
        return {"alpha": float("nan"), "beta": float("nan"), "r2": float("nan")}
    x = _design(d, form)
    (alpha, beta), *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ np.array([alpha, beta])
    total = ((y - y.mean()) ** 2).sum()
    r2 = 1.0 - (residual**2).sum() / total if total > 0 else float("nan")
    return {"alpha": float(alpha), "beta": float(beta), "r2": float(r2)}


def predict_gao(kl: np.ndarray, alpha: float, beta: float, form: str) -> np.ndarray:
    """The fitted curve at ``kl`` (0 where KL = 0)."""
    kl = np.asarray(kl, dtype=np.float64)
    d = np.sqrt(np.maximum(kl, 1e-12))
    return (_design(d, form) @ np.array([alpha, beta])) * (kl > 1e-9)
