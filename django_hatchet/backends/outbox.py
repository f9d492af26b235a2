"""The outbox: runs that wait in the app's database until the engine has them.

A run goes into the outbox table (``OutboxEntry``) in two ways, with the default policy
``HATCHET_ON_UNREACHABLE = "outbox"``:

- enqueued inside a transaction (on commit, the default), it is written *in that
  transaction*, claimed by the enqueuing process; after the commit that process sends it and
  deletes the entry. If the transaction rolls back, the entry goes with it; if the process
  dies between the commit and the send, the entry outlives it;
- enqueued while the engine cannot be reached, it is written unclaimed.

A relay (``django_hatchet.worker.relay``, run by ``runworker`` and by ``manage.py
hatchet_relay``) sends what is left, each entry once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q
from django.utils import timezone

from ..conf import conf
from ..models import OutboxEntry

if TYPE_CHECKING:
    from .base import Dispatch

logger = logging.getLogger("django_hatchet.outbox")


def lease() -> timedelta:
    """How long a claim lasts: well beyond the longest a send can take."""
    longest = conf.DISPATCH_TIMEOUT * conf.DISPATCH_ATTEMPTS + timedelta(
        seconds=conf.DISPATCH_ATTEMPTS * 2
    )
    return max(timedelta(seconds=30), 3 * longest)


def _entry(dispatch: Dispatch, **fields: Any) -> OutboxEntry:
    return OutboxEntry(
        id=dispatch.run.id,
        job=dispatch.job.name,
        payload=dispatch.payload,
        metadata=dispatch.metadata(),
        run_at=dispatch.run_at,
        priority=int(dispatch.priority) if dispatch.priority is not None else None,
        created_at=timezone.now(),
        **fields,
    )


def hold(dispatches: list[Dispatch], using: str = DEFAULT_DB_ALIAS) -> None:
    """Write the runs (in the current transaction, if there is one), claimed by this process,
    which sends them (after the commit). ``uncertain``: should this process die after sending
    them, a relay looks for each on the engine before sending it again."""
    claim = timezone.now() + lease()
    entries = [_entry(d, attempts=1, claimed_until=claim, uncertain=True) for d in dispatches]
    if len(entries) == 1:
        entries[0].save(using=using, force_insert=True)
    else:
        OutboxEntry.objects.using(using).bulk_create(entries)


def store(dispatch: Dispatch, error: str, uncertain: bool, using: str = DEFAULT_DB_ALIAS) -> None:
    """Write a run that could not be sent, for a relay to send."""
    _entry(dispatch, attempts=1, uncertain=uncertain, last_error=error).save(
        using=using, force_insert=True
    )


def release(run_ids: list[str], error: str, uncertain: bool, using: str = DEFAULT_DB_ALIAS) -> None:
    """Held runs could not be sent here: leave them to the relays, at once (unless a relay
    has claimed one since: its claim stands)."""
    OutboxEntry.objects.using(using).filter(pk__in=run_ids, attempts=1).update(
        claimed_until=None, uncertain=uncertain, last_error=error
    )


def done(run_ids: list[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """The engine has the runs."""
    OutboxEntry.objects.using(using).filter(pk__in=run_ids).delete()


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
