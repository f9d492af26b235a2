"""The outbox relay: sends the runs waiting in the outbox (``backends.outbox``) to the engine.

Each entry is sent once: a relay claims an entry with a conditional UPDATE before it sends
it, so two relays never send the same entry; a claim expires after ``outbox.lease()``, and an
entry whose earlier attempt may have reached the engine (a crash, or no answer in time) is
looked up on the engine, by its run id, before it is sent again. ``runworker`` runs a relay
in a thread; ``manage.py hatchet_relay`` runs one on its own.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from ..backends.outbox import done, lease, missing_table
from ..conf import conf
from ..models import OutboxEntry
from ..runs.ids import CLOCK_SKEW

logger = logging.getLogger("django_hatchet.outbox")

#: The longest a relay waits between two attempts while the engine cannot be reached.
MAX_BACKOFF = 30.0


@dataclass
class RelayReport:
    """What one pass of a relay did."""

    #: Entries sent to the engine.
    sent: int = 0
    #: Entries found already on the engine (an earlier attempt had reached it).
    found: int = 0
    #: Entries another relay had claimed first.
    skipped: int = 0
    #: Entries that failed for another reason than the engine being unreachable.
    failed: int = 0
    #: Why the engine could not be reached, if it could not (the pass then stops).
    unreachable: str | None = None


class Relay:
    """Sends the outbox's entries to the engine, oldest first."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS, batch: int = 200) -> None:
        self.using = using
        self.batch = batch

    def run_once(self, only: list[str] | None = None) -> RelayReport:
        """One pass: claim and send every entry that is due (of ``only``, if given), up to
        ``batch`` of them."""
        from ..engine import client

        report = RelayReport()
        now = timezone.now()
        due = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        entries = OutboxEntry.objects.using(self.using).filter(due)
        if only is not None:
            entries = entries.filter(pk__in=only)
        entries = list(entries.order_by("created_at")[: self.batch])
        for entry in entries:
            if not self._claim(entry, due, now):
                report.skipped += 1
                continue
            try:
                if entry.uncertain and self._on_engine(entry):
                    report.found += 1
                else:
                    self._send(entry)
                    report.sent += 1
            except Exception as exc:
                why = client.unreachable(exc)
                error = why or f"{type(exc).__name__}: {exc}"
                self._failed(entry, error, client.maybe_handled(exc), retry_now=why is not None)
                if why is not None:
                    report.unreachable = why
                    break
                report.failed += 1
                logger.error("Outbox: run %s of %s was not sent: %s", entry.id, entry.job, error)
                continue
            done([entry.id], self.using)
        return report

    def _claim(self, entry: OutboxEntry, due: Q, now: Any) -> bool:
        """Take the entry, unless another relay took it since it was read."""
        return bool(
            OutboxEntry.objects.using(self.using)
            .filter(due, pk=entry.pk, attempts=entry.attempts)
            .update(claimed_until=now + lease(), attempts=F("attempts") + 1, uncertain=True)
        )

    def _failed(self, entry: OutboxEntry, error: str, uncertain: bool, retry_now: bool) -> None:
        # Unreachable: the pass stops, and the entry is due again at the next one. Any other
        # error (a bad token, say) backs off, to be tried again and shown in the admin.
        backoff = 0.0 if retry_now else min(2.0**entry.attempts, 3600.0)
        OutboxEntry.objects.using(self.using).filter(pk=entry.pk).update(
            claimed_until=None if retry_now else timezone.now() + timedelta(seconds=backoff),
            uncertain=uncertain or entry.uncertain,
            last_error=error,
        )

    @staticmethod
    def _on_engine(entry: OutboxEntry) -> bool:
        """True when an earlier attempt did reach the engine."""
        from ..engine import runs

        since = entry.created_at - CLOCK_SKEW
        return runs.find_run(entry.id, since) is not None or (
            entry.run_at is not None and runs.find_schedule(entry.id) is not None
        )

    @staticmethod
    def _send(entry: OutboxEntry) -> None:
        from ..engine import dispatch
        from ..jobs.registry import registry

        job = registry.get(entry.job)
        if job is not None:
            dispatch.ensure_registered(job.name, job.options, job.engine_steps)
        meta = {str(k): str(v) for k, v in entry.metadata.items()}
        if entry.run_at is not None and entry.run_at > timezone.now():
            dispatch.schedule(entry.job, entry.payload, meta, entry.run_at, entry.priority)
            return
        # The engine may have a run with the job's idempotency key already: that is a send.
        dispatch.start_unless_duplicate(entry.job, entry.payload, meta, entry.priority)

    def run_forever(self, stop: threading.Event, interval: float | None = None) -> None:
        """Pass after pass until ``stop`` is set; backs off while the engine is unreachable."""
        from django.db import close_old_connections

        interval = interval or conf.OUTBOX_RELAY_INTERVAL.total_seconds()
        wait = interval
        said = None
        while not stop.is_set():
            close_old_connections()
            try:
                report = self.run_once()
            except Exception as exc:  # The database, say: log it and try again later.
                problem = self._missing_table() if isinstance(exc, DatabaseError) else None
                if problem is None:
                    logger.exception("Outbox relay: the pass failed")
                elif problem != said:  # Once, not at every pass.
                    logger.error("Outbox relay: %s", problem)
                said = problem
                report = RelayReport(unreachable="error")
            else:
                said = None
            if report.sent or report.found:
                logger.info(
                    "Outbox relay: sent %d run(s), %d already on the engine",
                    report.sent,
                    report.found,
                )
            if report.unreachable:
                from ..engine import client

                client.reset_client()  # A fresh channel: no gRPC reconnect backoff to wait out.
                wait = min(wait * 2, MAX_BACKOFF)
            else:
                wait = interval
            if report.sent + report.found + report.skipped < self.batch or report.unreachable:
                stop.wait(wait)
        close_old_connections()

    def _missing_table(self) -> str | None:
        try:
            return missing_table(self.using)
        except DatabaseError:
            return None


def start_relay_thread(using: str = DEFAULT_DB_ALIAS) -> threading.Event:
    """Run a relay in a daemon thread of this process; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=Relay(using).run_forever,
        args=(stop,),
        name="django-hatchet-outbox-relay",
        daemon=True,
    )
    thread.start()
    return stop
