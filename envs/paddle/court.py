"""The paddle-ball court: its geometry, speeds, and the maximum score reachable in a time limit.

Court units: the box is the unit square, ``x`` from the back wall (0) to the paddle side (1),
``y`` from the bottom wall (0) to the top wall (1). Speeds are in court units per step.

The ball's *horizontal* speed is what speeds up with each return (by ``speed_step``, up to
``max_speed``); angles only set the vertical speed, ``vy = slope * |vx|``. At the paddle the
ball bounces like off a mirror (keeping its slope), bent by where it meets the paddle: not at all
at the centre, by up to ``deflection`` at the edges, within ``max_slope``. So the
ball's left-right motion does not depend on the angles a player chooses, and every episode in
which no ball is missed scores the same: :meth:`Court.max_score`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Court:
    """Geometry and speeds of the game (court units and court units per step)."""

    ball_radius: float = 0.025  # half the side of the square ball
    paddle_half: float = 0.1  # half the paddle's height
    paddle_width: float = 0.03
    paddle_face: float = 0.92  # x of the paddle's front face (the ball's right edge bounces here)
    paddle_speed: float = 0.04  # per step at full action
    ball_speed: float = 0.03  # horizontal speed at launch
    speed_step: float = 0.003  # added to the horizontal speed at each return
    max_speed: float = 0.05  # cap on the horizontal speed
    deflection: float = 1.0  # slope added to a mirror bounce when the ball hits the paddle's edge
    max_slope: float = 1.0  # largest |vy| / |vx| (45 degrees)
    launch_slope: float = 0.75  # launch slope drawn uniformly from [-launch_slope, launch_slope]
    launch_x: float = 0.5
    launch_y_low: float = 0.25  # launch height drawn uniformly from [launch_y_low, launch_y_high]
    launch_y_high: float = 0.75

    @property
    def hit_reach(self) -> float:
        """Largest ``|ball_y - paddle_y|`` at which the paddle still returns the ball."""
        return self.paddle_half + self.ball_radius

    @property
    def max_vy(self) -> float:
        """Largest vertical speed the ball can have."""
        return self.max_slope * self.max_speed

    def max_score(self, max_steps: int) -> int:
        """Returns a flawless player makes in ``max_steps`` steps (the same for every episode).

        Replays the ball's horizontal motion with the exact arithmetic of the dynamics, counting
        each arrival at the paddle as a return.
        """
        x, vx, score = self.launch_x, self.ball_speed, 0
        back, front = self.ball_radius, self.paddle_face - self.ball_radius
        for _ in range(max_steps):
            x = x + vx
            if x < back:
                x = 2.0 * back - x
                vx = -vx
            if x > front:
                x = 2.0 * front - x
                vx = -min(vx + self.speed_step, self.max_speed)
                score += 1
        return score


COURT = Court()
