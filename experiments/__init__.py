"""The shipped experiments (one TOML file each), installed as package data ``rl_lab.experiments``."""
