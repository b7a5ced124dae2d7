"""The placeholders of .env.example are never secrets: production refuses them.

Every secret in .env.example reads CHANGE_ME...; a value still carrying such a marker (or the
older "change-me"/"REPLACE_WITH" forms) was copied, not chosen.
"""

from __future__ import annotations

import os
import re

PLACEHOLDER = re.compile(r"change[-_ ]?me|replace[-_ ]?with", re.IGNORECASE)


def is_placeholder(value: str | None) -> bool:
    return bool(value) and PLACEHOLDER.search(value) is not None


def placeholder_problems(secrets: dict[str, str | None]) -> list[str]:
    """One message per variable (the given secrets, read from a file or not, and every
    variable of the environment) whose value is a placeholder."""
    names = {name for name, value in secrets.items() if is_placeholder(value)}
    names |= {name for name, value in os.environ.items() if is_placeholder(value)}
    return [
        f"{name} holds a placeholder from .env.example; set a real secret"
        for name in sorted(names)
    ]
