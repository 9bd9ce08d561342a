"""Reading a finished RLHF run and saying its headline results in a few lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rl_lab.errors import LabError


def read_rlhf_summary(run_dir: Path) -> dict[str, Any]:
    """The run's ``summary.json``, or a LabError naming the file."""
    path = Path(run_dir) / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabError(f"{path}: no such file (is {run_dir} a finished RLHF run?)") from None
    except json.JSONDecodeError as error:
        raise LabError(f"{path}: not valid JSON ({error.msg})") from None


def format_rlhf_summary(run_dir: Path) -> str:
    """A few human lines of the headline results of an RLHF run directory."""
    s = read_rlhf_summary(run_dir)
    rm, ppo, sft = s["reward_model"], s["ppo"], s["sft"]
    ceiling = f" (Bayes ceiling {rm['bayes_ceiling']:.3f})" if "bayes_ceiling" in rm else ""
    cmp = rm["grouped_vs_pairs"]
    lines = [
        f"reward model ({rm['data']}, {rm['train_rankings']} rankings): held-out pairwise accuracy "
        f"{rm['heldout_accuracy']:.3f}{ceiling}; held-out labeller {rm['heldout_labeller_accuracy']:.3f} "
        f"(ceiling {rm['heldout_labeller_bayes_ceiling']:.3f})",
        f"  grouped vs shuffled pairs at {cmp['epochs']} passes: held-out "
        f"{cmp['grouped']['heldout_accuracy']:.3f} vs {cmp['pairs']['heldout_accuracy']:.3f}",
        f"PPO: gold {sft['gold']:.2f} -> {ppo['gold']:.2f} (+{ppo['gold_gain_in_ref_std']:.2f} SFT std), "
        f"wins {ppo['win_rate_vs_sft']:.0%} vs SFT, KL {ppo['kl']:.2f} (target {ppo['target_kl']:g}), "
        f"final β {ppo['final_beta']:.3g}",
    ]
    bon = s["best_of_n"]
    lines.append(f"best-of-{bon['n'][-1]}: gold {bon['gold'][-1]:.2f} at KL {bon['kl'][-1]:.2f}; "
                 f"fit d(α − βd) R² {bon['fit']['r2']:.3f}")
    if "dpo" in s:
        lines.append(f"DPO: gold {s['dpo']['gold']:.2f} at KL {s['dpo']['kl']:.2f}")
    if "overopt" in s:
        rl = s["overopt"]["rl"]
        lines.append(
            f"over-optimisation (weak RM): gold peaks {rl['peak_gold']:.2f} at KL {rl['peak_kl']:.1f}, "
            f"falls to {rl['final_gold']:.2f} at KL {rl['final_kl']:.1f} while proxy rises; "
            f"RL fit R² {rl['fit']['r2']:.3f}, best-of-n fit R² {s['overopt']['best_of_n']['fit']['r2']:.3f}"
        )
    lines.append(f"wall time {s['wall_seconds']:.0f} s; plot: {Path(run_dir) / 'gold_vs_kl.png'}")
    return "\n".join(lines)
