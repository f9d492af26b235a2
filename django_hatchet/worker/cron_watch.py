"""Apply the crons made in the admin from every worker, every ``HATCHET_CRON_SYNC_INTERVAL``.

A save in the admin applies its cron at once (``django_hatchet.crons.stored``); this thread
applies what that could not: a save made while the engine was down, or a change made with
``QuerySet.update()``, which sends no signal. A pass lists the engine's crons once and writes
nothing when they match the rows.
"""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, close_old_connections

from ..conf import conf
from ..crons.stored import sync_stored
from ..engine.client import EngineError

logger = logging.getLogger("django_hatchet.crons")


def sync_pass(said: str | None = None) -> str | None:
    """Apply the rows once; return the problem that stopped it, or the rows left as they
    are (each logged when new), or None."""
    close_old_connections()
    try:
        plan = sync_stored()
    except (EngineError, DatabaseError) as exc:
        problem = str(exc).splitlines()[0]
        if problem != said:  # Once, not at every pass.
            logger.warning("The crons made in the admin are not applied: %s", problem)
        return problem
    for change in plan.pending():
        logger.info("Cron made in the admin: %s", change.describe())
    refused = "; ".join(f"{name!r}: {why}" for name, why in sorted(plan.refused.items()))
    if refused and refused != said:
        logger.warning("Crons made in the admin left as they are on the engine: %s", refused)
    return refused or None


def watch(stop: threading.Event, interval: float | None = None) -> None:
    """Pass after pass until ``stop`` is set."""
    interval = interval or conf.CRON_SYNC_INTERVAL.total_seconds()
    said: str | None = None
    while not stop.wait(interval):
        said = sync_pass(said)
    close_old_connections()


def start_cron_watch() -> threading.Event:
    """Run ``watch`` in a daemon thread of this process; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=watch, args=(stop,), name="django-hatchet-cron-watch", daemon=True
    )
    thread.start()
    return stop
