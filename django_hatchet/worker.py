"""The worker behind ``manage.py runworker``."""

from __future__ import annotations

from django.core.management.base import CommandError

from .conf import conf
from .crons import load_crons
from .job_registry import registry


def inline_message() -> str | None:
    """Why this process has no engine to work for, or None when it has one."""
    if conf.CLIENT_TOKEN is None:
        reason = "No Hatchet engine is configured: HATCHET_CLIENT_TOKEN is not set"
    elif conf.ALWAYS_INLINE:
        reason = "HATCHET_ALWAYS_INLINE is True, so no Hatchet engine is used"
    else:
        return None
    return (
        f"{reason} (neither in the settings nor in the environment). There is nothing for a "
        "worker to do: jobs run inline, in the process that enqueues them, and crons "
        "(HATCHET_CRONS) do not run. Set HATCHET_CLIENT_TOKEN to run jobs on Hatchet."
    )


class Worker:
    """Runs every registered job and the crons of ``HATCHET_CRONS`` on a Hatchet engine."""

    def __init__(self, *, name: str = "django") -> None:
        self.name = name
        self.jobs = list(registry)
        self.crons = load_crons()

    def run(self) -> None:
        raise CommandError(
            "HATCHET_CLIENT_TOKEN is set, but this version of django-hatchet cannot run a "
            "worker on an engine yet. Unset the token to run jobs inline."
        )
