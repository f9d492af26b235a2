"""Sending a run now, or when the caller's transaction commits (``HATCHET_ENQUEUE_ON_COMMIT``).

A job's run and a canvas's run are sent the same way: kept in the engine's outbox in the
caller's transaction, and dispatched by ``on_commit``."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

from ..conf import conf
from .base import Dispatch


def defer_to_commit(dispatch: Dispatch, on_commit: bool | None) -> bool:
    """Register the dispatch to run when the transaction commits, if there is one."""
    if on_commit is None:
        on_commit = dispatch.job.options.enqueue_on_commit
        if on_commit is None:
            on_commit = conf.ENQUEUE_ON_COMMIT
    if not on_commit:
        return False
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        return False
    run, backend = dispatch.run, dispatch.run.backend
    backend.hold(dispatch, DEFAULT_DB_ALIAS)  # The engine's outbox, in this transaction.

    def dispatch_on_commit() -> None:
        if run.commit_done():
            backend.dispatch(dispatch)
        elif dispatch.held is not None:  # Cancelled meanwhile.
            backend.forget(dispatch)

    run.wait_for_commit(connection, dispatch_on_commit)
    connection.on_commit(dispatch_on_commit)
    return True


def enqueue(dispatch: Dispatch, on_commit: bool | None) -> None:
    """Dispatch now, or on commit."""
    if not defer_to_commit(dispatch, on_commit):
        dispatch.run.backend.dispatch(dispatch)


async def aenqueue(dispatch: Dispatch, on_commit: bool | None) -> None:
    if not defer_to_commit(dispatch, on_commit):
        await dispatch.run.backend.adispatch(dispatch)
