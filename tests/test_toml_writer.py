"""The resolved config is written as TOML that reads back to the same values, whatever the text."""

from __future__ import annotations

import tomllib

from rl_lab.config.toml_writer import dumps


def test_round_trip_of_unicode_control_and_odd_keys() -> None:
    data = {
        "description": 'ride 🚲 to "the goal", é\ttab\x7fdel\nnew line',
        "é": 1,
        "with space": -2.5,
        "flag": True,
        "table": {"list": [1, 2.0, "x"], "inner": {"k-1": "v"}},
    }
    assert tomllib.loads(dumps(data)) == data
