"""Best-of-n sampling against the reward model: its gold and proxy rewards and its KL to π.

From N samples per prompt, the expected value of best-of-n for every n <= N is estimated without
bias (Gao et al. 2022, appendix): with the samples sorted by proxy score, the i-th lowest of N is
the best of a random n-subset with probability C(i-1, n-1) / C(N, n). Its KL to the sampling
policy is analytic: KL(best-of-n ‖ π) = log n - (n - 1) / n.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Scorer = Callable[..., np.ndarray]


def best_of_n_kl(n: int | np.ndarray) -> np.ndarray:
    """KL(best-of-n ‖ π) = log n - (n - 1)/n, in nats."""
    n = np.asarray(n, dtype=np.float64)
    return np.log(n) - (n - 1.0) / n


def best_of_n_weights(big_n: int, n: int) -> np.ndarray:
    """P(the i-th lowest of ``big_n`` samples is the best of a random n-subset), i = 1..big_n."""
    if not 1 <= n <= big_n:
        raise ValueError(f"n must be in [1, {big_n}], got {n}")
    i = np.arange(1, big_n + 1)
    log_c = np.full(big_n, -np.inf)
    ok = i >= n
    log_c[ok] = [math.lgamma(k) - math.lgamma(n) - math.lgamma(k - n + 1) for k in i[ok]]
    log_total = math.lgamma(big_n + 1) - math.lgamma(n + 1) - math.lgamma(big_n - n + 1)
    return np.exp(log_c - log_total)


def best_of_n_curve(proxy: np.ndarray, values: list[np.ndarray], ns: list[int]) -> list[list[float]]:
    """Expected ``values`` of the best-of-n response (by ``proxy``) for each n.

    ``proxy`` (G, N): proxy scores of N samples in each of G groups (one prompt per group);
    ``values``: arrays shaped like ``proxy`` (gold, proxy, ...). Returns one list per array.
    """
    order = np.argsort(proxy, axis=1, kind="stable")
    sorted_values = [np.take_along_axis(v, order, axis=1) for v in values]
    big_n = proxy.shape[1]
    curves: list[list[float]] = [[] for _ in values]
    for n in ns:
        w = best_of_n_weights(big_n, n)
        for curve, v in zip(curves, sorted_values, strict=True):
            curve.append(float((v @ w).mean()))
    return curves


def run_best_of_n(sample: Scorer, proxy_fn: Scorer, judges: dict[str, Scorer], prompts: np.ndarray,
                  max_n: int) -> tuple[dict[str, list[float]], np.ndarray]:
    """Best-of-n curves for n = 1, 2, 4 … ``max_n``: n, kl, proxy and each judge's score (means over
    prompts), and the best-of-``max_n`` response of each prompt (by proxy).

    ``sample(prompts)`` returns one padded response per prompt (called once, ``max_n`` per
    prompt); ``proxy_fn`` and the ``judges`` score (prompts, responses).
    """
    flat_prompts = np.repeat(prompts, max_n)
    responses = sample(flat_prompts)
    proxy = proxy_fn(flat_prompts, responses).reshape(len(prompts), max_n)
    judged = {key: fn(flat_prompts, responses).reshape(len(prompts), max_n) for key, fn in judges.items()}
    ns = [2**k for k in range(int(np.log2(max_n)) + 1)]
    curves = best_of_n_curve(proxy, [proxy, *judged.values()], ns)
    out: dict[str, list[float]] = {"n": ns, "kl": best_of_n_kl(np.array(ns)).tolist(), "proxy": curves[0]}
    out.update(zip(judged, curves[1:], strict=True))
    best = responses.reshape(len(prompts), max_n, -1)[np.arange(len(prompts)), np.argmax(proxy, axis=1)]
    return out, best
