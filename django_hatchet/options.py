"""Job options: the names and records every part of django-hatchet shares."""

from __future__ import annotations

import re

#: The names Hatchet accepts for workflows, rate limit keys and crons.
NAME_RE = re.compile(r"^[a-zA-Z0-9._-]+$")
