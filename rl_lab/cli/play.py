"""``rl-lab play GAME``: its flags and what it prints (kept apart so parser.py and commands.py stay small)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rl_lab.cli import arg_types


def add_play_parser(sub: argparse._SubParsersAction) -> None:
    """The ``play`` verb's arguments."""
    play = sub.add_parser(
        "play", help="play a game yourself (bicycle or paddle) and compare with a trained agent",
        description="Steer in a window with the keys shown beside the picture (bicycle: left/right arrows "
                    "turn the handlebar, a/d lean; paddle: up/down arrows or w/s). A key starts each "
                    "episode, space pauses, Esc stops, Enter closes an episode's last picture. Your "
                    "episode is scored exactly as the agent's "
                    "evaluation scores its own, and both are printed side by side on the same seed.",
    )
    play.add_argument("game", help="bike (balance), ride (to the goal), paddle, an environment id such as "
                                   "rl_lab/PaddleBall-v0, or an experiment such as bike_ride_ppo")
    play.add_argument("--seed", type=arg_types.seed, default=0,
                      help="the episodes' seed, the same for you and the agent (default 0)")
    play.add_argument("--episodes", type=arg_types.positive, default=1, help="episodes to play (default 1)")
    speed = play.add_mutually_exclusive_group()
    speed.add_argument("--fps", type=arg_types.positive_number, default=None,
                       help="decisions per second (default: real time: the bicycle 20, the paddle 30)")
    speed.add_argument("--slow", type=arg_types.positive_number, default=1.0, metavar="FACTOR",
                       help="play FACTOR times slower than real time (e.g. 4 to learn to balance)")
    play.add_argument("--run", type=Path, default=None, metavar="RUN_DIR",
                      help="the agent to compare with (default: <runs-dir>/<experiment>/<seed>/ if there)")
    play.add_argument("--runs-dir", type=Path, default=Path("runs"))


def cmd_play(args: argparse.Namespace) -> None:
    from rl_lab.human.match import play_against_agent

    match = play_against_agent(args.game, args.seed, args.episodes, args.fps, args.slow, args.run,
                               args.runs_dir)
    print(match.report() if match.person else "stopped before the first step: nothing to compare")
