"""A person against the agent: ``rl-lab play``'s games, scored as the agent's evaluation scores."""
