"""Job options: the names and records every part of django-hatchet shares."""

from __future__ import annotations

import re

#: The characters of those names, as the inside of a regular expression's character class.
NAME_CHARACTERS = "a-zA-Z0-9._-"
#: The names Hatchet accepts for workflows, rate limit keys and crons.
NAME_RE = re.compile(f"^[{NAME_CHARACTERS}]+$")
