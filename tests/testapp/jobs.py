"""Jobs for tests/test_bad_input.py and tests/test_security.py; autodiscovered as ``jobs``."""

from __future__ import annotations

from django_hatchet import job


@job
def returns_nul() -> dict[str, str]:
    return {"name": "a\x00b"}


@job
def returns_too_much(size: int) -> str:
    return "x" * size


@job
def takes_a_password(user: str, password: str) -> str:
    return user


@job
def measure(text: str) -> int:
    return len(text)
