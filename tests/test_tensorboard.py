"""What TensorBoard shows, read back through TensorBoard's own event loader."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
from conftest import TINY_CARTPOLE
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rl_lab.config import load_experiment
from rl_lab.training.trainer import train


def test_every_evaluation_shows_an_animated_episode_and_training_curves_per_step(
    write_experiment, tmp_path: Path
) -> None:
    config = load_experiment(str(write_experiment(TINY_CARTPOLE)))
    result = train(config, tmp_path / "runs", seed=0, progress_bar=False, record_video=False,
                   log=lambda _: None)
    events = EventAccumulator(str(result.run_dir), size_guidance={"images": 0, "scalars": 0}).Reload()
    images = events.Images("eval/episode")
    eval_steps = [e.step for e in events.Scalars("eval/mean_reward")]
    assert eval_steps == [256, 512]  # a periodic evaluation and the final one (due at 512 too)
    assert [i.step for i in images] == eval_steps
    for image in images:
        assert image.encoded_image_string[:6] == b"GIF89a"
        assert 0 < image.width <= 480
        assert len(imageio.mimread(image.encoded_image_string, format="GIF")) > 1  # an animation
    assert {"rollout/reward_per_step", "rollout/ep_rew_recent"} <= set(events.Tags()["scalars"])
    # CartPole pays +1 per step: the per-step curve says so exactly.
    assert all(s.value == 1.0 for s in events.Scalars("rollout/reward_per_step"))
