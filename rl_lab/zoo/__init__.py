"""RL Baselines3 Zoo plugs: hyperparameter files from the experiments, and a launcher for its
``record_video`` that registers the lab's ids first."""
