"""Write the resolved experiment back as TOML (the stdlib reads TOML but cannot write it)."""

from __future__ import annotations

import json
import math
from typing import Any


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _string(text: str) -> str:
    # A JSON string is a TOML basic string, except that JSON's \uXXXX surrogate pairs (which
    # ensure_ascii would write for an emoji) and a raw DEL are not TOML: keep UTF-8, escape DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(key: str) -> str:
    bare = key.isascii() and key.replace("_", "").replace("-", "").isalnum()
    return key if bare else _string(key)


def dumps(data: dict[str, Any], _prefix: str = "") -> str:
    """Serialise nested dicts: scalars first, then each sub-table under its ``[dotted.name]``."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, value in data.items():
        if isinstance(value, dict):
            name = f"{_prefix}{_key(key)}"
            lines.append(f"\n[{name}]")
            lines.append(dumps(value, f"{name}.").rstrip("\n"))
    return "\n".join(line for line in lines if line) + "\n"
