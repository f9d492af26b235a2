"""Background dispatch (``HATCHET_BACKGROUND_DISPATCH``): a thread of this process sends
the runs its callers recorded in the outbox, so that ``.delay()`` never waits for the engine.

The caller writes the run to the outbox (in its transaction, or in one of its own) and hands
it to the dispatcher, which wakes at once, takes every run that has accumulated (up to
``BATCH``, what the engine takes in one request) and gives them to its ``send`` function.
The thread starts with the first run a process hands over, so a pre-forking server (gunicorn)
starts one in each worker process, after the fork (before a fork, a running thread sends
what it holds and ends: the child inherits no half-done send, nor half-imported module). It
stops when idle, and at the process's exit it sends what it holds for a bounded time and
leaves the rest to the relays. The runs are in the outbox all along: whatever happens to
this process, a relay sends them.

This module knows threads, not the engine: ``EngineBackend`` gives it ``send`` (send a batch
and record the outcome) and ``leave`` (leave runs to the relays).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref
from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from .base import Dispatch

logger = logging.getLogger("django_hatchet")

#: The most runs one batch holds: the engine's bulk trigger takes 1,000 a request.
BATCH = 1_000
#: The most runs a process holds unsent; beyond it runs go to the relays (back-pressure).
CAPACITY = 10_000
#: The thread stops after this many seconds without a run (the next run starts it again).
IDLE_SECONDS = 60.0
#: The longest a fork waits for the dispatcher's thread to send what it holds and end.
FORK_WAIT = 10.0

Batch = Callable[[list["Dispatch"]], None]

_dispatchers: weakref.WeakSet[Dispatcher] = weakref.WeakSet()


class Dispatcher:
    """Sends the runs handed to it from a thread, in batches."""

    def __init__(
        self,
        send: Batch,
        leave: Batch,
        *,
        batch: int = BATCH,
        capacity: int = CAPACITY,
        idle: float = IDLE_SECONDS,
    ) -> None:
        #: Sends a batch and records the outcome on each run's handle and outbox entry.
        self._send = send
        #: Leaves runs this dispatcher will not send to the relays.
        self._leave = leave
        self.batch = batch
        self.capacity = capacity
        self.idle = idle
        self._start_fresh()
        _dispatchers.add(self)

    def _start_fresh(self) -> None:
        # Also in a forked child: the parent's lock may have been held by its thread at the
        # fork, and the parent's runs are the parent's to send.
        self._cond = threading.Condition()
        self._waiting: dict[str, Dispatch] = {}  # By run id, oldest first.
        self._sending: set[str] = set()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._draining = False

    def __len__(self) -> int:
        """How many runs wait to be sent."""
        return len(self._waiting) + len(self._sending)

    def submit(self, dispatches: list[Dispatch]) -> bool:
        """Hand over runs recorded in the outbox; False when the dispatcher is full or
        stopped (the caller leaves them to the relays)."""
        with self._cond:
            if self._stopped or len(self._waiting) + len(dispatches) > self.capacity:
                return False
            for dispatch in dispatches:
                self._waiting[dispatch.run.id] = dispatch
            if self._thread is None:
                thread = threading.Thread(
                    target=self._loop, name="django-hatchet-dispatcher", daemon=True
                )
                try:
                    thread.start()
                except RuntimeError:  # The interpreter is shutting down.
                    for dispatch in dispatches:
                        del self._waiting[dispatch.run.id]
                    return False
                self._thread = thread
            self._cond.notify()
        return True

    def withdraw(self, run_id: str) -> Dispatch | None:
        """Take a run back before it is sent (to cancel it); None when this dispatcher does
        not hold it, or has sent it (waits for a batch that is being sent)."""
        with self._cond:
            dispatch = self._waiting.pop(run_id, None)
            while dispatch is None and run_id in self._sending:
                self._cond.wait()
        return dispatch

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every run handed over has been sent or left to the relays; False if
        ``timeout`` seconds passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._waiting and not self._sending, timeout)

    def holds(self, run_id: str) -> bool:
        """True while the run waits here, or is being sent (its handle is PENDING)."""
        return run_id in self._waiting or run_id in self._sending

    def stop(self, timeout: float) -> int:
        """Send what is waiting for up to ``timeout`` seconds, then leave the rest to the
        relays; no run is handed over afterwards. Return how many were left."""
        with self._cond:
            self._stopped = True
        self._join(timeout)
        with self._cond:
            left = list(self._waiting.values())
            self._waiting.clear()
        if left:
            self._leave(left)
        return len(left)

    def drain(self, timeout: float) -> bool:
        """Send what is waiting and let the thread end, closing its database connections
        (the next run starts another); False if ``timeout`` seconds passed first."""
        with self._cond:
            self._draining = True
        return self._join(timeout)

    def _join(self, timeout: float) -> bool:
        with self._cond:
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _loop(self) -> None:
        try:
            while self._next_batch():
                pass
        finally:
            with self._cond:
                self._thread = None
                self._draining = False
                self._cond.notify_all()
            _close_connections(obsolete_only=False)

    def _next_batch(self) -> bool:
        """Send the next batch; False when the thread should end."""
        with self._cond:
            if not self._waiting and not self._stopped and not self._draining:
                self._cond.wait(self.idle)
            if not self._waiting:  # Idle, drained, or stopped with nothing left.
                return False
            ids = list(islice(self._waiting, self.batch))
            batch = [self._waiting.pop(run_id) for run_id in ids]
            self._sending = set(ids)
        try:
            self._send(batch)
        except Exception:
            logger.exception("The dispatcher could not send %d run(s)", len(batch))
            self._leave_quietly(batch)
        finally:
            with self._cond:
                self._sending = set()
                self._cond.notify_all()
        if not self._waiting:
            # Between bursts: give back a connection Django considers too old (with
            # CONN_MAX_AGE = 0, any), as the end of a request does.
            _close_connections(obsolete_only=True)
        return True

    def _leave_quietly(self, batch: list[Dispatch]) -> None:
        try:
            self._leave(batch)
        except Exception:  # The database, say: the entries' claims expire, then a relay.
            logger.exception("The dispatcher could not leave %d run(s) to relays", len(batch))


def drain_all(timeout: float) -> bool:
    """Let every dispatcher of this process send what it holds and end its thread."""
    return all(dispatcher.drain(timeout) for dispatcher in list(_dispatchers))


def _close_connections(obsolete_only: bool) -> None:
    """Close this thread's database connections (only those Django considers too old or
    broken, as the end of a request does, when ``obsolete_only``)."""
    from django.db import close_old_connections, connections

    try:
        if obsolete_only:
            close_old_connections()
            return
    except Exception:  # It asks the connection (a test's blocked database, say): close it.
        pass
    try:
        connections.close_all()
        for connection in connections.all(initialized_only=True):
            _close_in_memory_sqlite(connection)
    except Exception:
        logger.exception("The dispatcher could not close its database connections")


def _close_in_memory_sqlite(connection: BaseDatabaseWrapper) -> None:
    """Close this thread's own connection to an in-memory SQLite database (a test
    database), which ``close()`` leaves open lest the database go with it; left to the
    garbage collector, Python 3.13 reports it unclosed. The database stays: the other
    threads' connections (the test's own) hold it."""
    from django.db.backends.base.base import BaseDatabaseWrapper as Base

    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        Base.close(connection)


def _before_fork() -> None:
    # A thread in the middle of a send (or of its first import of gRPC's modules) at the
    # fork would leave the child half a module; let it finish and end first.
    drain_all(timeout=FORK_WAIT)


def _after_fork_in_child() -> None:
    for dispatcher in list(_dispatchers):
        dispatcher._start_fresh()


def _at_exit() -> None:
    from ..conf import conf

    bound = conf.DISPATCH_TIMEOUT.total_seconds()
    for dispatcher in list(_dispatchers):
        if len(dispatcher):
            try:
                left = dispatcher.stop(bound)
            except Exception:  # Never stand in the way of an exit.
                logger.exception("The dispatcher could not finish at exit")
                continue
            if left:
                logger.warning(
                    "%d run(s) were not sent before the process exited: the relays send them",
                    left,
                )


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
atexit.register(_at_exit)
