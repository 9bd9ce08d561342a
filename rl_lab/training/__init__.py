"""Training: environments and model from a config, callbacks, evaluation, seeding, restoring."""
