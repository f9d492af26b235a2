"""The outbox: runs that wait in the app's database until the engine has them.

A run goes into the outbox table (``OutboxEntry``) in two ways, with the default policy
``HATCHET_ON_UNREACHABLE = "outbox"``:

- enqueued inside a transaction (on commit, the default), it is written *in that
  transaction*, claimed by the enqueuing process; after the commit that process sends it and
  deletes the entry. If the transaction rolls back, the entry goes with it; if the process
  dies between the commit and the send, the entry outlives it;
- enqueued while the engine cannot be reached, it is written unclaimed.

A relay (``Relay``, run by ``runworker`` and by ``manage.py hatchet_relay``) sends what is
left. Each entry is sent once: a relay claims an entry with a conditional UPDATE before it
sends it, so two relays never send the same entry; a claim expires after ``lease()``, and an
entry whose earlier attempt may have reached the engine (a crash, or no answer in time) is
looked up on the engine, by its run id, before it is sent again.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import F, Q
from django.utils import timezone

from .conf import conf
from .models import OutboxEntry

if TYPE_CHECKING:
    from .backends.base import Dispatch

logger = logging.getLogger("django_hatchet.outbox")

#: The longest a relay waits between two attempts while the engine cannot be reached.
MAX_BACKOFF = 30.0


def lease() -> timedelta:
    """How long a claim lasts: well beyond the longest a send can take."""
    longest = conf.DISPATCH_TIMEOUT * conf.DISPATCH_ATTEMPTS + timedelta(
        seconds=conf.DISPATCH_ATTEMPTS * 2
    )
    return max(timedelta(seconds=30), 3 * longest)


def _entry(dispatch: Dispatch, **fields: Any) -> OutboxEntry:
    from . import engine

    return OutboxEntry(
        id=dispatch.run.id,
        job=dispatch.job.name,
        payload=dispatch.payload,
        metadata=engine.metadata(dispatch),
        run_at=dispatch.run_at,
        priority=int(dispatch.priority) if dispatch.priority is not None else None,
        created_at=timezone.now(),
        **fields,
    )


def hold(dispatch: Dispatch, using: str = DEFAULT_DB_ALIAS) -> None:
    """Write the run in the current transaction, claimed by this process, which sends it
    after the commit. ``uncertain``: should this process die after sending it, a relay looks
    for it on the engine before sending it again."""
    _entry(dispatch, attempts=1, claimed_until=timezone.now() + lease(), uncertain=True).save(
        using=using, force_insert=True
    )


def store(dispatch: Dispatch, error: str, uncertain: bool, using: str = DEFAULT_DB_ALIAS) -> None:
    """Write a run that could not be sent, for a relay to send."""
    _entry(dispatch, attempts=1, uncertain=uncertain, last_error=error).save(
        using=using, force_insert=True
    )


def release(run_id: str, error: str, uncertain: bool, using: str = DEFAULT_DB_ALIAS) -> None:
    """A held run could not be sent: leave it to the relays, at once."""
    OutboxEntry.objects.using(using).filter(pk=run_id).update(
        claimed_until=None, uncertain=uncertain, last_error=error
    )


def done(run_id: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """The engine has the run."""
    OutboxEntry.objects.using(using).filter(pk=run_id).delete()


def withdraw(run_id: str, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Take a run out of the outbox unless a relay is sending it; True if it was there."""
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now())
    deleted: int = OutboxEntry.objects.using(using).filter(unclaimed, pk=run_id).delete()[0]
    return deleted > 0


def pending(run_id: str, using: str = DEFAULT_DB_ALIAS) -> str | None:
    """The job's name when the run waits in the outbox, else None."""
    job: str | None = (
        OutboxEntry.objects.using(using).filter(pk=run_id).values_list("job", flat=True).first()
    )
    return job


def missing_table(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """What to do when the outbox's table does not exist (``migrate`` was not run), or None."""
    table = OutboxEntry._meta.db_table
    connection = connections[using]
    with connection.cursor() as cursor:
        if table in connection.introspection.table_names(cursor):
            return None
    return (
        f"The outbox's table {table} does not exist in the database {using!r}: run "
        "manage.py migrate. Until then runs that cannot reach the engine, or are enqueued in "
        "a transaction, fail."
    )


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
        from . import engine

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
                why = engine.unreachable(exc)
                error = why or f"{type(exc).__name__}: {exc}"
                self._failed(entry, error, engine.maybe_handled(exc), retry_now=why is not None)
                if why is not None:
                    report.unreachable = why
                    break
                report.failed += 1
                logger.error("Outbox: run %s of %s was not sent: %s", entry.id, entry.job, error)
                continue
            done(entry.id, self.using)
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
        from . import engine
        from .runs.ids import CLOCK_SKEW

        since = entry.created_at - CLOCK_SKEW
        return engine.find_run(entry.id, since) is not None or (
            entry.run_at is not None and engine.find_schedule(entry.id) is not None
        )

    @staticmethod
    def _send(entry: OutboxEntry) -> None:
        from hatchet_sdk.exceptions import IdempotencyCollisionError

        from . import engine
        from .job_registry import registry

        job = registry.get(entry.job)
        if job is not None:
            engine.ensure_registered(job)
        meta = {str(k): str(v) for k, v in entry.metadata.items()}
        if entry.run_at is not None and entry.run_at > timezone.now():
            engine.schedule(entry.job, entry.payload, meta, entry.run_at, entry.priority)
            return
        # IdempotencyCollisionError: the engine has a run with the job's key already.
        with contextlib.suppress(IdempotencyCollisionError):
            engine.start(entry.job, entry.payload, meta, entry.priority)

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
                from . import engine

                engine.reset_client()  # A fresh channel: no gRPC reconnect backoff to wait out.
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
