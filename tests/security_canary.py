"""A module no code path may import from a job name (tests/test_security.py)."""

import os

os.environ["DJANGO_HATCHET_CANARY_IMPORTED"] = "1"


def payload() -> None:
    os.environ["DJANGO_HATCHET_CANARY_CALLED"] = "1"
