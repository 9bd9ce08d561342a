"""Many runs at once on Ray: the session (:mod:`.ray_session`), training runs as Ray tasks
(:mod:`.jobs`) and hyperparameter search with Ray Tune + Optuna (:mod:`.tune`)."""
