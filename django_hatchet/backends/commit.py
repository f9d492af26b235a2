"""Sending runs now, or when the caller's transaction commits (``HATCHET_ENQUEUE_ON_COMMIT``).

A job's runs and a canvas's run are sent the same way: kept in the engine's outbox in the
caller's transaction, and dispatched by ``on_commit``, together (``delay_many``'s runs
reach the engine in one request)."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

from ..conf import conf
from ..hooks import enqueuing
from .base import Dispatch


def defer_to_commit(dispatches: list[Dispatch], on_commit: bool | None) -> bool:
    """Register the runs to be dispatched when the transaction commits, if there is one.
    The runs are all of one job (one ``delay()``, or one ``delay_many()``)."""
    if on_commit is None:
        on_commit = dispatches[0].job.options.enqueue_on_commit
        if on_commit is None:
            on_commit = conf.ENQUEUE_ON_COMMIT
    if not on_commit:
        return False
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        return False
    backend = dispatches[0].run.backend
    backend.hold(dispatches, DEFAULT_DB_ALIAS)  # The engine's outbox, in this transaction.

    def dispatch_on_commit() -> None:
        committed = []
        for dispatch in dispatches:
            if dispatch.run.commit_done():
                committed.append(dispatch)
            elif dispatch.held is not None:  # Cancelled meanwhile.
                backend.forget(dispatch)
        if len(committed) == 1:
            backend.dispatch(committed[0])
        elif committed:
            backend.dispatch_many(committed)

    for dispatch in dispatches:
        dispatch.run.wait_for_commit(connection, dispatch_on_commit)
    connection.on_commit(dispatch_on_commit)
    return True


def enqueue(dispatch: Dispatch, on_commit: bool | None) -> None:
    """Dispatch now, or on commit."""
    with enqueuing((dispatch,)):
        if not defer_to_commit([dispatch], on_commit):
            dispatch.run.backend.dispatch(dispatch)


def enqueue_many(dispatches: list[Dispatch]) -> None:
    """Dispatch runs of one job now, or on commit, together."""
    with enqueuing(dispatches):
        if not defer_to_commit(dispatches, None):
            dispatches[0].run.backend.dispatch_many(dispatches)


async def aenqueue(dispatch: Dispatch, on_commit: bool | None) -> None:
    with enqueuing((dispatch,)):
        if not defer_to_commit([dispatch], on_commit):
            await dispatch.run.backend.adispatch(dispatch)
