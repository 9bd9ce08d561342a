"""The RLHF figure: gold reward against KL (PPO, best-of-n, DPO) and the over-optimisation panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rl_lab.rlhf.overopt_fit import predict_gao
from rl_lab.runs.atomic import write_with


def plot_gold_vs_kl(path: Path, results: dict[str, Any]) -> None:
    """Write the two-panel PNG from the pipeline's results (see ``summary.json``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    sft = results["sft"]
    ppo = results["ppo"]["checkpoints"]
    left.plot([c["kl"] for c in ppo], [c["gold"] for c in ppo], "o-", color="tab:blue",
              label=f"PPO checkpoints (target KL {results['ppo']['target_kl']:g})")
    bon = results["best_of_n"]
    left.plot(bon["kl"], bon["gold"], "s-", color="tab:orange", label="best-of-n (n = 1 … "
              f"{bon['n'][-1]})")
    grid = np.linspace(0, max(bon["kl"]), 100)
    fit = bon["fit"]
    left.plot(grid, sft["gold"] + predict_gao(grid, fit["alpha"], fit["beta"], "bon"), ":",
              color="tab:orange", label=f"fit d(α − βd), R² = {fit['r2']:.3f}")
    if "dpo" in results:
        left.plot([results["dpo"]["kl"]], [results["dpo"]["gold"]], "*", ms=16, color="tab:green",
                  label=f"DPO (β = {results['dpo']['beta']:g})")
    left.plot([0], [sft["gold"]], "kD", label="SFT (reference)")
    left.set(xlabel="KL(π ‖ π_SFT), nats per response", ylabel="gold reward (mean)",
             title="Gold reward against KL")
    left.legend(fontsize=8, loc="lower right")
    left.grid(alpha=0.3)

    over = results.get("overopt")
    if over:
        rl = over["rl"]
        kl = np.array([c["kl"] for c in rl["checkpoints"]])
        gold = np.array([c["gold"] for c in rl["checkpoints"]]) - rl["checkpoints"][0]["gold"]
        proxy = np.array([c["proxy"] for c in rl["checkpoints"]]) - rl["checkpoints"][0]["proxy"]
        right.plot(kl, gold, "o", color="tab:red", label="RL gold")
        right.plot(kl, proxy, "o--", color="tab:red", alpha=0.4, label="RL proxy (weak RM)")
        grid = np.linspace(0, kl.max(), 200)
        f = rl["fit"]
        right.plot(grid, predict_gao(grid, f["alpha"], f["beta"], "rl"), "-", color="tab:red",
                   label=f"fit d(α − β log d), R² = {f['r2']:.3f}")
        b = over["best_of_n"]
        right.plot(b["kl"], np.array(b["gold"]) - b["gold"][0], "s", color="tab:purple",
                   label="best-of-n gold")
        right.plot(b["kl"], np.array(b["proxy"]) - b["proxy"][0], "s--", color="tab:purple", alpha=0.4,
                   label="best-of-n proxy")
        grid = np.linspace(0, max(b["kl"]), 100)
        f = b["fit"]
        right.plot(grid, predict_gao(grid, f["alpha"], f["beta"], "bon"), "-", color="tab:purple",
                   label=f"fit d(α − βd), R² = {f['r2']:.3f}")
        right.set(xlabel="KL(π ‖ π_SFT), nats per response", ylabel="reward gained over SFT",
                  title=f"Over-optimisation: weak RM ({over['rankings']} rankings), β = {over['beta']:g}")
        top = max(3.0, float(proxy.max()) + 0.5)  # the weak RM's best-of-n proxy may run off the top
        right.set_ylim(min(-2.0, float(gold.min()) - 0.2), top)
        right.axhline(0, color="k", lw=0.5)
        right.legend(fontsize=8, loc="upper left")
        right.grid(alpha=0.3)
    else:
        right.axis("off")
    fig.tight_layout()
    write_with(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
