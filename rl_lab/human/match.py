"""``rl-lab play``: a person plays a game, then sees their result beside a trained agent's on the
same seed (the same episodes: the bicycle's lean noise, the ball's launches).

A game is named by a short name (``bike``, ``ride``, ``paddle``), an environment id or an
experiment. The agent is the run given, or ``<runs-dir>/<experiment>/<seed>/`` when it exists;
the person then plays the environment exactly as that run's config builds it for evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rl_lab.config import ExperimentConfig, list_experiments, load_experiment
from rl_lab.config.validation import SURVIVED
from rl_lab.errors import LabError
from rl_lab.runs import layout
from rl_lab.watching.human_play import EpisodeScore

# The experiment each environment's agent comes from by default.
DEFAULT_EXPERIMENTS = {
    "rl_lab/BikeBalance-v0": "bike_balance_ppo",
    "rl_lab/BikeRide-v0": "bike_ride_ppo",
    "rl_lab/PaddleBall-v0": "paddle_vector_ppo",
}
# Balancing is the bicycle a person can try first: the ride needs minutes of it.
SHORT_NAMES = {"bike": "bike_balance_ppo", "ride": "bike_ride_ppo", "paddle": "paddle_vector_ppo"}


def _env_of(experiment: str) -> str | None:
    try:
        return load_experiment(experiment).env.id
    except LabError:  # an RLHF pipeline: no environment to play
        return None


def resolve_game(name: str) -> ExperimentConfig:
    """The experiment a game name stands for (a short name, an env id, an experiment name or TOML
    file), checked to be one of the games with keyboard controls."""
    by_env = {**DEFAULT_EXPERIMENTS, **{k.removeprefix("rl_lab/"): v for k, v in DEFAULT_EXPERIMENTS.items()}}
    experiment = SHORT_NAMES.get(name) or by_env.get(name) or name
    looks_like_file = name.endswith(".toml") or Path(name).exists()
    if not looks_like_file and experiment not in list_experiments():
        playable = [e for e in list_experiments() if _env_of(e) in DEFAULT_EXPERIMENTS]
        raise LabError(f"play: unknown game {name!r} (choose {', '.join(SHORT_NAMES)}, an environment id "
                       f"({', '.join(DEFAULT_EXPERIMENTS)}) or an experiment ({', '.join(playable)}))")
    config = load_experiment(experiment)
    if config.env.id not in DEFAULT_EXPERIMENTS:
        raise LabError(f"play: {name} is {config.env.id}, which has no keyboard controls here "
                       f"(games: {', '.join(SHORT_NAMES)})")
    return config


@dataclass
class Opponent:
    """Where the agent to compare with comes from, or why there is none."""

    run_dir: Path | None
    config: ExperimentConfig | None = None  # the run's own config: the person plays its environment
    note: str = ""


def find_agent(config: ExperimentConfig, seed: int, run: Path | None, runs_dir: Path) -> Opponent:
    """The run given (which must exist and play the same environment), else the default run of
    ``config``'s experiment for ``seed`` if it is there, else a note saying how to train one."""
    if run is not None:
        trained = layout.load_run_config(Path(run))  # one line if missing or not a run
        if trained.env.id != config.env.id:
            raise LabError(f"--run {run}: its agent plays {trained.env.id}, not {config.env.id}")
        if not (Path(run) / "model.zip").is_file():
            raise LabError(f"--run {run}: no model.zip (did its training finish?)")
        return Opponent(Path(run), trained)
    default = Path(runs_dir) / config.name / str(seed)
    if (default / "model.zip").is_file():
        return Opponent(default, layout.load_run_config(default))
    return Opponent(None, note=f"no trained agent at {default} to compare with; train one with "
                          f"`rl-lab train {config.name} --seed {seed}` (or give --run RUN_DIR)")


def success_of(config: ExperimentConfig, measures: dict[str, float]) -> bool | None:
    """Whether an episode counts as a success by the experiment's rule (None: no rule, or unknown)."""
    if not config.success_metric or config.success_metric not in measures:
        return None
    return measures[config.success_metric] >= config.success_threshold


def _cell(value: float | bool | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value) if isinstance(value, int) else f"{value:.2f}"


def comparison_table(config: ExperimentConfig, seed: int, person: list[EpisodeScore],
                     agent: list[EpisodeScore] | None) -> str:
    """Per episode: return, length, the episode measures and success, for the person and the agent."""
    names = [SURVIVED, *sorted({k for e in [*person, *(agent or [])] for k in e.metrics} - {SURVIVED})]
    lines = []
    for index, mine in enumerate(person):
        theirs = agent[index] if agent else None
        stopped = "" if mine.finished else " (you stopped it: not a whole episode)"
        lines.append(f"episode {index + 1} of seed {seed}{stopped}")
        rows = [("return", mine.episode_return, theirs and theirs.episode_return),
                ("length (steps)", mine.length, theirs and theirs.length)]
        rows += [(k, mine.metrics.get(k), theirs and theirs.metrics.get(k)) for k in names]
        if config.success_metric:
            rows.append((f"success ({config.success_metric} >= {config.success_threshold:g})",
                         success_of(config, mine.metrics) if mine.finished else None,
                         theirs and success_of(config, theirs.metrics)))
        width = max(len(r[0]) for r in rows) + 2
        lines.append(f"  {'':<{width}}{'you':>10}{'agent' if agent else '':>10}")
        for label, you, them in rows:
            lines.append(f"  {label:<{width}}{_cell(you):>10}{_cell(them) if agent else '':>10}")
    return "\n".join(lines)


@dataclass
class Match:
    """What ``rl-lab play`` found: the game, the person's and the agent's episodes."""

    config: ExperimentConfig
    seed: int
    fps: float
    person: list[EpisodeScore]
    agent: list[EpisodeScore] | None
    opponent: Opponent

    def report(self) -> str:
        lines = [comparison_table(self.config, self.seed, self.person, self.agent)]
        if self.opponent.run_dir is not None:
            lines.append(f"agent: {self.opponent.run_dir} (the same episodes, played before you)")
        else:
            lines.append(self.opponent.note)
        return "\n".join(lines)


def agent_episodes(run_dir: Path, seed: int, episodes: int) -> list[EpisodeScore]:
    """The run's agent on episodes 0..episodes-1 of ``seed``, evaluated as training evaluates it."""
    from rl_lab import api
    from rl_lab.training.env_factory import make_vec_env
    from rl_lab.training.evaluation import evaluate

    loaded = api.load_run(run_dir)
    venv = make_vec_env(loaded.config, 1, seed, for_eval=True)
    try:
        result = evaluate(loaded.model, venv, episodes, loaded.config.eval.deterministic)
    finally:
        venv.close()
    return [
        EpisodeScore(float(ret), int(length), {k: float(v[i]) for k, v in result.metrics.items()})
        for i, (ret, length) in enumerate(zip(result.returns, result.lengths, strict=True))
    ]


def play_against_agent(game: str, seed: int = 0, episodes: int = 1, fps: float | None = None,
                       slow: float = 1.0, run: Path | None = None, runs_dir: Path = Path("runs"),
                       log=print) -> Match:
    """Check everything, evaluate the agent (if any) on the seed, then let the person play the same
    episodes at ``fps`` steps per second (default: the env's real time divided by ``slow``)."""
    from rl_lab.training.env_factory import make_vec_env
    from rl_lab.watching.human_play import can_open_window, keyboard_controls, play_human
    from rl_lab.watching.play import frames_per_second, rendered_env

    named = resolve_game(game)
    opponent = find_agent(named, seed, run, runs_dir)
    config = opponent.config or named
    if not can_open_window():
        raise LabError("play: no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset); "
                       "play on a desktop session or over `ssh -X`")
    venv = make_vec_env(config, 1, seed, for_eval=True, render_mode="rgb_array")
    try:
        controls = keyboard_controls(rendered_env(venv), config.name)
        agent = None
        if opponent.run_dir is not None:
            log(f"the agent of {opponent.run_dir} plays seed {seed} first ...")
            agent = agent_episodes(opponent.run_dir, seed, episodes)
        real_time = frames_per_second(venv)
        speed = fps or real_time / slow
        log(f"{config.name} ({config.env.id}), seed {seed}: {speed:g} steps/s (real time: {real_time:g}); "
            "a key starts, space pauses, Esc stops")

        def describe_agent(index: int) -> str:
            if agent is None:
                return "no agent to compare with"
            return f"agent: return {agent[index].episode_return:.2f}, {agent[index].length} steps"

        person = play_human(venv, controls, episodes, speed, f"rl-lab play: {config.name}", describe_agent)
    finally:
        venv.close()
    return Match(config, seed, speed, person, agent, opponent)
