"""Reading a finished RLHF run and saying its headline results in a few lines.

Every figure names its judge: the reward model (the proxy the policies were optimised against,
so its verdicts are optimistic), the built-in gold reward (built-in labeller only), a model
fitted on the user's --eval-rankings, or the user's --gold scorer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rl_lab.errors import LabError
from rl_lab.rlhf.evaluation import REWARD_MODEL
from rl_lab.rlhf.settings import KIND


def read_rlhf_summary(run_dir: Path) -> dict[str, Any]:
    """The run's ``summary.json``, or a LabError naming the file."""
    path = Path(run_dir) / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabError(f"{path}: no such file (is {run_dir} a finished RLHF run?)") from None
    except json.JSONDecodeError as error:
        raise LabError(f"{path}: not valid JSON ({error.msg})") from None


def _rankings_line(s: dict[str, Any]) -> str:
    rm = s["reward_model"]
    split = f"{rm['train_rankings']} to train on, {rm['heldout_rankings']} held out"
    if s["rankings"]["source"] != "file":
        return f"rankings: the built-in labeller's (simulated), {split}"
    data = s["rankings"]["ranked_data"]
    return f"rankings: {data['path']} (sha256 {data['sha256'][:12]}…, {data['lines']} lines): {split}"


def _reward_model_lines(s: dict[str, Any]) -> list[str]:
    rm = s["reward_model"]
    lo, hi = rm["heldout_accuracy_ci95"]
    line = (f"reward model: held-out pairwise accuracy {rm['heldout_accuracy']:.3f} "
            f"(95% bootstrap interval {lo:.3f}-{hi:.3f}, {rm['heldout_pairs']} pairs)")
    if "bayes_ceiling" in rm:
        line += (f"; Bayes ceiling {rm['bayes_ceiling']:.3f}; held-out labeller "
                 f"{rm['heldout_labeller_accuracy']:.3f} "
                 f"(ceiling {rm['heldout_labeller_bayes_ceiling']:.3f})")
    lines = [line]
    for key, label in s["judges"].items():
        lines.append(f"  {label}, on the same held-out rankings: {rm['judges_heldout_accuracy'][key]:.3f}")
    probe = rm.get("repetition_probe")
    if probe:
        said = f"said {probe['few']} -> {probe['many']} times"
        scores = [("reward model", probe["reward_model"])]
        scores += [(label, probe[key]) for key, label in s["judges"].items()]
        words = ", ".join(list(dict.fromkeys(probe["words"]))[:3])
        lines.append(f"  repeating its favourite word ({words}), {said}: "
                     + "; ".join(f"{who} {a:.2f} -> {b:.2f}" for who, (a, b) in scores))
    if "grouped_vs_pairs" in rm:
        cmp = rm["grouped_vs_pairs"]
        lines.append(f"  grouped vs shuffled pairs at {cmp['epochs']} passes: held-out "
                     f"{cmp['grouped']['heldout_accuracy']:.3f} vs {cmp['pairs']['heldout_accuracy']:.3f}")
    return lines


def _stage_lines(name: str, stage: dict[str, Any], sft: dict[str, Any], judges: dict[str, str],
                 extra: str = "") -> list[str]:
    """Reward-model score before -> after with its win rate, then each judge's verdict."""
    wins, gains = stage["win_rate_vs_sft"], stage.get("gain_in_sft_std", {})

    def gain(key: str) -> str:
        return f" ({gains[key]:+.2f} SFT std)" if key in gains else ""

    lines = [f"{name}: reward-model score {sft['proxy']:.2f} -> {stage['proxy']:.2f}{gain(REWARD_MODEL)}, "
             f"wins {wins[REWARD_MODEL]:.0%} vs SFT by the reward model; KL {stage['kl']:.2f}{extra}"]
    for key, label in judges.items():
        lines.append(f"  by {label}: {sft[key]:.2f} -> {stage[key]:.2f}{gain(key)}, "
                     f"wins {wins[key]:.0%} vs SFT")
    return lines


def format_rlhf_summary(run_dir: Path) -> str:
    """A few human lines of the headline results of an RLHF run directory."""
    s = read_rlhf_summary(run_dir)
    if s.get("kind") != KIND:
        path = Path(run_dir) / "summary.json"
        raise LabError(f"{path}: not written by this rl-lab's `rl-lab rlhf` (no kind {KIND!r}); run it again")
    judges, sft, ppo = s["judges"], s["sft"], s["ppo"]
    lines = [_rankings_line(s), *_reward_model_lines(s)]
    if not judges:
        lines.append("no independent judge: the figures below are the reward model's own verdict; give "
                     "--eval-rankings FILE or --gold module:function to check it")
    lines += _stage_lines("PPO", ppo, sft, judges,
                          f" (target {ppo['target_kl']:g}), final β {ppo['final_beta']:.3g}")
    bon = s["best_of_n"]
    last = {"proxy": bon["proxy"][-1], "kl": bon["kl"][-1], "win_rate_vs_sft": bon["win_rate_vs_sft"],
            **{key: bon[key][-1] for key in judges}}
    fit = f"; fit d(α − βd) R² {bon['fit']['r2']:.3f}" if "fit" in bon else ""
    lines += _stage_lines(f"best-of-{bon['n'][-1]}", last, sft, judges, fit)
    if "dpo" in s:
        lines += _stage_lines("DPO", s["dpo"], sft, judges, f" (β {s['dpo']['beta']:g})")
    if s["rankings"]["source"] == "file":
        lines.append("over-optimisation demo: not run (it is made from the built-in labeller's rankings)")
    if "overopt" in s:
        rl = s["overopt"]["rl"]
        lines.append(
            f"over-optimisation (weak RM): gold peaks {rl['peak_gold']:.2f} at KL {rl['peak_kl']:.1f}, "
            f"falls to {rl['final_gold']:.2f} at KL {rl['final_kl']:.1f} while proxy rises; "
            f"RL fit R² {rl['fit']['r2']:.3f}, best-of-n fit R² {s['overopt']['best_of_n']['fit']['r2']:.3f}"
        )
    lines.append(f"wall time {s['wall_seconds']:.0f} s; plot: {Path(run_dir) / s['plot']}")
    return "\n".join(lines)
