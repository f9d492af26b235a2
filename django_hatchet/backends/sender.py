"""Sending runs to the engine: in the background (the default, ``backends.dispatcher``), or
in the call, with the job's policy when the engine cannot be reached (``HATCHET_ON_UNREACHABLE``).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DEFAULT_DB_ALIAS, DatabaseError

from ..conf import conf
from ..engine import client
from ..engine import dispatch as send
from ..exceptions import EngineUnreachable
from ..hooks import OBSERVERS, send_failed
from ..runs.handle import JobRun, RunStatus
from ..runs.ids import in_a_run
from ..signals import job_enqueued
from .base import Dispatch
from .dispatcher import Dispatcher
from .inline import inline_backend
from .outbox import done, hold, lease, release, store

#: After the engine could not be reached, how long dispatches apply the policy at once.
BREAK_SECONDS = 5.0

logger = logging.getLogger("django_hatchet")


class EngineDown(Exception):
    """The engine could not be reached a moment ago: not asked again yet."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Breaker:
    """After the engine could not be reached, for ``BREAK_SECONDS``, dispatches do not wait on
    it again: the policy applies at once (no request pays the dispatch timeout twice)."""

    def __init__(self) -> None:
        self._until = 0.0  # In monotonic time.
        self._reason: str | None = None

    def trip(self, reason: str) -> None:
        self._until = time.monotonic() + BREAK_SECONDS
        self._reason = reason

    def open(self) -> str | None:
        """Why the engine is not asked now, or None when it is."""
        if self._reason is not None and time.monotonic() >= self._until:
            self._reason = None
        return self._reason


def policy(dispatch: Dispatch) -> str:
    """What to do with the run if the engine cannot be reached: outbox, raise or inline."""
    return dispatch.job.options.on_unreachable or conf.ON_UNREACHABLE


class Sender:
    """Sends an engine backend's runs; owns the breaker and the dispatcher."""

    def __init__(self) -> None:
        self.breaker = Breaker()
        self.dispatcher = Dispatcher(self.send_batch, self.leave)
        self._full_said = 0.0

    def close(self) -> None:
        """Send what the dispatcher holds (for a bounded time); leave the rest to relays."""
        self.dispatcher.stop(conf.DISPATCH_TIMEOUT.total_seconds())

    def hold(self, dispatches: list[Dispatch], using: str) -> None:
        held = [d for d in dispatches if policy(d) == "outbox"]
        if held:
            hold(held, using)
            claim_ends = time.monotonic() + lease().total_seconds()
            for d in held:
                d.held, d.claim_ends = using, claim_ends

    def forget(self, dispatch: Dispatch) -> None:
        if dispatch.held is not None:
            done([dispatch.run.id], dispatch.held)

    def dispatch(self, dispatch: Dispatch) -> None:
        if in_background(dispatch):
            self._hand_over([dispatch])
        else:
            self._send_now(dispatch)

    async def adispatch(self, dispatch: Dispatch) -> None:
        if in_background(dispatch):
            # The outbox's INSERT is a database query: on Django's thread for them.
            await sync_to_async(self._hand_over)([dispatch])
        else:
            await sync_to_async(self._send_now, thread_sensitive=False)(dispatch)

    def dispatch_many(self, dispatches: list[Dispatch]) -> None:
        background: list[Dispatch] = []
        in_the_call: list[Dispatch] = []
        for d in dispatches:
            (background if in_background(d) else in_the_call).append(d)
        if background:
            self._hand_over(background)
        if in_the_call:
            self._send_many_now(in_the_call)

    # Background dispatch (the default) ----------------------------------------------------

    def _hand_over(self, dispatches: list[Dispatch]) -> None:
        """Record the runs in the outbox (if the caller's transaction has not) and hand them
        to the dispatcher: the caller does not wait for the engine."""
        down = self.breaker.open()
        fresh = [d for d in dispatches if d.held is None]
        if down is not None:  # No use handing them over: the relays send them.
            for d in fresh:
                store(d, down, uncertain=False)
            self.leave([d for d in dispatches if d.held is not None], down, uncertain=False)
        elif fresh:
            try:
                self.hold(fresh, DEFAULT_DB_ALIAS)
            except DatabaseError as exc:  # No outbox to record them in: send them now.
                logger.warning("The outbox cannot record runs (%s): they are sent in the call", exc)
                self._send_many_now(fresh)
                dispatches = [d for d in dispatches if d.held is not None]
        if down is None and dispatches and not self.dispatcher.submit(dispatches):
            self._full(dispatches)
        for d in dispatches:
            d.run.moved_to(RunStatus.PENDING)
            job_enqueued.send(d.job, run=d.run)

    def _full(self, dispatches: list[Dispatch]) -> None:
        why = (
            f"this process held {self.dispatcher.capacity} unsent runs (the engine is slow or "
            "unreachable): left to the relays"
        )
        if time.monotonic() - self._full_said > 60:
            self._full_said = time.monotonic()
            logger.warning("The dispatcher is full: %s", why)
        self.leave(dispatches, why, uncertain=False)

    def send_batch(self, batch: list[Dispatch]) -> None:
        """Send runs the dispatcher took (on its thread), in one request where it can; an
        entry whose claim ends before a send could finish is left to expire, to a relay."""
        down = self.breaker.open()
        if down is not None:
            self.leave(batch, down, uncertain=False)
            return
        batch = [d for d in batch if _claim_holds(d)]
        now = [d for d in batch if d.run_at is None]
        units = ([now] if now else []) + [[d] for d in batch if d.run_at is not None]
        sent: list[Dispatch] = []
        for i, unit in enumerate(units):
            try:
                answers = _trigger(unit)
            except Exception as exc:
                why = client.unreachable(exc)
                error = why or f"{type(exc).__name__}: {exc}"
                self.leave(unit, error, uncertain=client.maybe_handled(exc))
                if why is None:
                    logger.error(
                        "%d run(s) of %s were not sent: %s", len(unit), unit[0].job.name, error
                    )
                    continue
                self._unreachable(why)
                self.leave([d for u in units[i + 1 :] for d in u], why, uncertain=False)
                break
            for d, answer in zip(unit, answers, strict=True):
                _record(d.run, answer)
            sent.extend(unit)
        for using, ids in _held(sent).items():
            done(ids, using)

    def leave(
        self,
        dispatches: list[Dispatch],
        error: str = "not sent by its process",
        uncertain: bool = True,
    ) -> None:
        """Leave held runs to the relays now (their entries were claimed by this process)."""
        for using, ids in _held(dispatches).items():
            release(ids, error, uncertain, using)

    # Sending in the call (HATCHET_BACKGROUND_DISPATCH = False, or the engine's answer needed)

    def _send_now(self, dispatch: Dispatch) -> None:
        try:
            down = self.breaker.open()
            if down is not None:
                raise EngineDown(down)
            if not _claim_holds(dispatch):
                # Its transaction outlasted the claim: a relay may be sending it.
                dispatch.run.moved_to(RunStatus.PENDING)
                job_enqueued.send(dispatch.job, run=dispatch.run)
                return
            (sent,) = _trigger([dispatch])
        except Exception as exc:
            self._not_sent(dispatch, exc)
            return
        if dispatch.held is not None:
            done([dispatch.run.id], dispatch.held)
        _record(dispatch.run, sent)
        job_enqueued.send(dispatch.job, run=dispatch.run)

    def _not_sent(self, dispatch: Dispatch, exc: Exception) -> None:
        """The trigger failed: apply the job's policy if the engine could not be reached."""
        run = dispatch.run
        why = exc.reason if isinstance(exc, EngineDown) else client.unreachable(exc)
        handled = False if isinstance(exc, EngineDown) else client.maybe_handled(exc)
        if dispatch.held is not None:
            # Written in the caller's transaction: leave it to a relay, whatever the error.
            self.leave([dispatch], why or f"{type(exc).__name__}: {exc}", handled)
        if why is None:
            raise exc
        if not isinstance(exc, EngineDown):
            self._unreachable(why)
        where = f"{run.job_name} run {run.id}"
        chosen = policy(dispatch)
        if chosen == "outbox":
            if dispatch.held is None:
                store(dispatch, why, handled)
            logger.warning("%s is kept in the outbox until the engine is back (%s)", where, why)
            run.moved_to(RunStatus.PENDING)
            job_enqueued.send(dispatch.job, run=run)
        elif chosen == "inline":
            logger.warning("%s runs inline: the engine cannot be reached (%s)", where, why)
            run.hand_to(inline_backend)
            run.backend.dispatch(dispatch)
        else:
            raise EngineUnreachable(
                f"{where} was not enqueued: the Hatchet engine at {client.address()} cannot be "
                f"reached ({why}). Nothing was stored (the job's policy is on_unreachable="
                '"raise"). Start the engine, or check HATCHET_CLIENT_HOST_PORT and the token; '
                'with HATCHET_ON_UNREACHABLE = "outbox" such runs wait in the database instead.',
                run_id=run.id,
                job_name=run.job_name,
            ) from None

    def _send_many_now(self, dispatches: list[Dispatch]) -> None:
        now = [d for d in dispatches if d.run_at is None and _claim_holds(d)]
        if len(now) > 1 and self.breaker.open() is None:
            try:
                answers = _trigger(now)
            except Exception as exc:
                why = client.unreachable(exc)
                if why is None:
                    self.leave(now, f"{type(exc).__name__}: {exc}", client.maybe_handled(exc))
                    raise
                self._unreachable(why)  # Each run then meets the policy, at once.
            else:
                for d, sent in zip(now, answers, strict=True):
                    _record(d.run, sent)
                    job_enqueued.send(d.job, run=d.run)
                for using, ids in _held(now).items():
                    done(ids, using)
                sent_now = {id(d) for d in now}
                dispatches = [d for d in dispatches if id(d) not in sent_now]
        for d in dispatches:
            self._send_now(d)

    def _unreachable(self, why: str) -> None:
        self.breaker.trip(why)
        client.reset_client()  # A fresh channel next time, not gRPC's reconnect backoff.
        logger.warning("The Hatchet engine cannot be reached (%s)", why)


def in_background(dispatch: Dispatch) -> bool:
    """Whether the run is sent by the dispatcher rather than in the call: by default, unless
    the caller needs the engine's answer (a raise or inline policy, an idempotency key whose
    earlier run the handle becomes) or is itself a run on a worker (its enqueues are its
    children, which the engine matches by the calling context)."""
    return (
        conf.BACKGROUND_DISPATCH
        and policy(dispatch) == "outbox"
        and not dispatch.job.options.idempotency
        and not in_a_run()
    )


def _trigger(dispatches: list[Dispatch]) -> list[send.Sent]:
    """Send runs: many to start now in one request, or one (maybe scheduled); a failure is
    told to the integrations (``send_failed``) before it is handled."""
    try:
        return _send(dispatches)
    except Exception as exc:
        if OBSERVERS:
            for job, runs in Counter(d.job.name for d in dispatches).items():
                send_failed(job, runs, exc)
        raise


def _send(dispatches: list[Dispatch]) -> list[send.Sent]:
    if len(dispatches) == 1 or any(d.job.options.idempotency for d in dispatches):
        # A bulk collision does not say which run matched which: one request per run.
        return [
            send.trigger(
                d.job.name,
                d.job.options,
                d.job.engine_steps,
                d.payload,
                d.metadata(),
                _priority(d),
                d.run_at,
            )
            for d in dispatches
        ]
    for job in {d.job.name: d.job for d in dispatches}.values():
        send.ensure_registered(job.name, job.options, job.engine_steps)
    calls = [send.Call(d.job.name, d.payload, d.metadata(), _priority(d)) for d in dispatches]
    return send.start_many(calls)


def _claim_holds(dispatch: Dispatch) -> bool:
    """True unless this process's claim on the run's outbox entry ends before a send could
    finish (a relay may send it then; leave it to the relay)."""
    longest = conf.DISPATCH_TIMEOUT.total_seconds() * conf.DISPATCH_ATTEMPTS + 2.0
    return dispatch.held is None or dispatch.claim_ends > time.monotonic() + longest


def _held(dispatches: list[Dispatch]) -> dict[str, list[str]]:
    """The run ids of the held runs, by the database whose outbox holds them."""
    held: dict[str, list[str]] = {}
    for d in dispatches:
        if d.held is not None:
            held.setdefault(d.held, []).append(d.run.id)
    return held


def _priority(dispatch: Dispatch) -> int | None:
    return int(dispatch.priority) if dispatch.priority is not None else None


def _record(run: JobRun[Any], sent: send.Sent) -> None:
    run.sent(
        sent.engine_run_id,
        sent.schedule_id,
        deduplicated=sent.deduplicated,
        earlier_run_id=sent.earlier_run_id,
    )
