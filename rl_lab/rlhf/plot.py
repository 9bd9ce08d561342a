"""The RLHF figure: a score against KL (PPO, best-of-n, DPO) and a second panel.

The left panel's score is the first judge's (the built-in gold reward with the built-in labeller,
else the judge fitted on ``--eval-rankings`` or the ``--gold`` scorer), or the reward model's
when no judge was given; it is titled by what it is. The right panel is the over-optimisation
demonstration (built-in labeller only), or the reward model's score when the left one is a judge's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rl_lab.rlhf.overopt_fit import predict_gao
from rl_lab.runs.atomic import write_with

KL_LABEL = "KL(π ‖ π_SFT), nats per response"


def _score_panel(ax: Any, results: dict[str, Any], key: str, label: str, fit: bool) -> None:
    """``key`` (a judge's key, or ``proxy``) of PPO's checkpoints, best-of-n, DPO and SFT against KL."""
    ppo = results["ppo"]["checkpoints"]
    ax.plot([c["kl"] for c in ppo], [c[key] for c in ppo], "o-", color="tab:blue",
            label=f"PPO checkpoints (target KL {results['ppo']['target_kl']:g})")
    bon = results["best_of_n"]
    ax.plot(bon["kl"], bon[key], "s-", color="tab:orange", label=f"best-of-n (n = 1 … {bon['n'][-1]})")
    if fit and "fit" in bon:
        grid = np.linspace(0, max(bon["kl"]), 100)
        f = bon["fit"]
        ax.plot(grid, bon[key][0] + predict_gao(grid, f["alpha"], f["beta"], "bon"), ":", color="tab:orange",
                label=f"fit d(α − βd), R² = {f['r2']:.3f}")
    if "dpo" in results:
        ax.plot([results["dpo"]["kl"]], [results["dpo"][key]], "*", ms=16, color="tab:green",
                label=f"DPO (β = {results['dpo']['beta']:g})")
    ax.plot([0], [results["sft"][key]], "kD", label="SFT (reference)")
    what = label if key in ("gold", "proxy") else f"score by {label}"
    ax.set(xlabel=KL_LABEL, ylabel=f"{what} (mean)", title=f"{what[0].upper()}{what[1:]}, against KL")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)


def _overopt_panel(ax: Any, over: dict[str, Any]) -> None:
    rl = over["rl"]
    kl = np.array([c["kl"] for c in rl["checkpoints"]])
    gold = np.array([c["gold"] for c in rl["checkpoints"]]) - rl["checkpoints"][0]["gold"]
    proxy = np.array([c["proxy"] for c in rl["checkpoints"]]) - rl["checkpoints"][0]["proxy"]
    ax.plot(kl, gold, "o", color="tab:red", label="RL gold")
    ax.plot(kl, proxy, "o--", color="tab:red", alpha=0.4, label="RL proxy (weak RM)")
    grid = np.linspace(0, kl.max(), 200)
    f = rl["fit"]
    ax.plot(grid, predict_gao(grid, f["alpha"], f["beta"], "rl"), "-", color="tab:red",
            label=f"fit d(α − β log d), R² = {f['r2']:.3f}")
    b = over["best_of_n"]
    ax.plot(b["kl"], np.array(b["gold"]) - b["gold"][0], "s", color="tab:purple", label="best-of-n gold")
    ax.plot(b["kl"], np.array(b["proxy"]) - b["proxy"][0], "s--", color="tab:purple", alpha=0.4,
            label="best-of-n proxy")
    grid = np.linspace(0, max(b["kl"]), 100)
    f = b["fit"]
    ax.plot(grid, predict_gao(grid, f["alpha"], f["beta"], "bon"), "-", color="tab:purple",
            label=f"fit d(α − βd), R² = {f['r2']:.3f}")
    ax.set(xlabel=KL_LABEL, ylabel="reward gained over SFT",
           title=f"Over-optimisation: weak RM ({over['rankings']} rankings), β = {over['beta']:g}")
    top = max(3.0, float(proxy.max()) + 0.5)  # the weak RM's best-of-n proxy may run off the top
    ax.set_ylim(min(-2.0, float(gold.min()) - 0.2), top)
    ax.axhline(0, color="k", lw=0.5)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)


def plot_vs_kl(path: Path, results: dict[str, Any]) -> None:
    """Write the two-panel PNG from the pipeline's results (see ``summary.json``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    judges = list(results["judges"].items())
    rm_label = "reward-model score"
    if judges:
        _score_panel(left, results, judges[0][0], judges[0][1], fit=True)
    else:
        _score_panel(left, results, "proxy", rm_label, fit=False)
    if results.get("overopt"):
        _overopt_panel(right, results["overopt"])
    elif judges:
        _score_panel(right, results, "proxy", f"{rm_label} (the optimised proxy)", fit=False)
    else:
        right.axis("off")
    fig.tight_layout()
    write_with(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
