"""What one call that enqueues a run may pass besides its options: its arguments and when
it starts (``apply_async`` of a job, a signature or a canvas). Each check raises an error
that names the call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any


def check_arguments(
    where: str, args: Any, kwargs: Any
) -> tuple[tuple[Any, ...] | list[Any], dict[str, Any]]:
    """``args`` and ``kwargs`` as a run takes them (None for none); a TypeError otherwise."""
    if args is None:
        args = ()
    elif not isinstance(args, (list, tuple)):
        raise TypeError(
            f"{where}: args must be a list or tuple, not {type(args).__name__}. "
            "For one argument, write args=(value,)."
        )
    if kwargs is None:
        kwargs = {}
    elif not isinstance(kwargs, dict):
        raise TypeError(f"{where}: kwargs must be a dict, not {type(kwargs).__name__}.")
    return args, kwargs


def check_countdown(where: str, countdown: Any) -> float:
    """A countdown: a number of seconds, 0 or more."""
    if isinstance(countdown, bool) or not isinstance(countdown, (int, float)):
        raise TypeError(
            f"{where}: countdown must be a number of seconds, not {type(countdown).__name__}."
        )
    if countdown < 0:
        raise ValueError(f"{where}: countdown must be 0 or more, not {countdown}.")
    return countdown


def check_run_at(
    where: str, countdown: Any, eta: Any, now: Callable[[], datetime]
) -> datetime | None:
    """When a run with this ``countdown`` (seconds from ``now()``) or ``eta`` starts; None
    for now."""
    if countdown is not None and eta is not None:
        raise TypeError(f"{where}: pass countdown or eta, not both.")
    if countdown is not None:
        return now() + timedelta(seconds=check_countdown(where, countdown))
    if eta is not None:
        if not isinstance(eta, datetime):
            raise TypeError(f"{where}: eta must be a datetime, not {type(eta).__name__}.")
        if eta.utcoffset() is None:
            raise ValueError(
                f"{where}: eta must be timezone-aware, so that it means the same instant "
                "everywhere; use django.utils.timezone.now() + timedelta(...)."
            )
        return eta
    return None
