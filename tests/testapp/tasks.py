"""Jobs the test suite uses; autodiscovered as this app's ``tasks`` module."""

from __future__ import annotations

import asyncio

from django_hatchet import job

from .models import Note

CALLS: list[tuple[str, object]] = []


class JobBroke(Exception):
    pass


@job
def add(a: int, b: int) -> int:
    return a + b


@job(name="tests.echo", retries=2, timeout=30)
def echo(*args: object, **kwargs: object) -> dict[str, object]:
    return {"args": args, "kwargs": kwargs}


@job
async def async_add(a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


@job
def fail(message: str) -> None:
    raise JobBroke(message)


@job
def write_note(text: str) -> int:
    return Note.objects.create(text=text).pk


@job
def bad_return() -> object:
    return {"when": object()}
