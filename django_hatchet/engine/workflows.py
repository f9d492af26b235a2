"""What a durable run does through the engine's durable log: start child runs and wait for
them, sleep, wait for events. A worker lost mid-run is replaced by a replay that starts no
child twice and finds each finished wait's result in the log."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from hatchet_sdk import SleepCondition, UserEventCondition, or_
from hatchet_sdk.exceptions import TaskRunError
from hatchet_sdk.types.trigger import TriggerWorkflowOptions, WorkflowRunTriggerConfig

from ..options import JobOptions
from .client import EngineError, get_client
from .dispatch import EVENT_SCOPE, ensure_registered

__all__ = ["Child", "Ended", "run_children", "sleep", "wait_for_events"]

#: The name of a wait's timeout among its conditions.
TIMEOUT_KEY = "django_hatchet:timeout"


class Child(NamedTuple):
    """A run to start as a child of the running durable task."""

    #: The job's name (a workflow on the engine), and its options (to register it first).
    job: str
    options: JobOptions
    payload: str
    metadata: dict[str, str]
    priority: int | None
    #: The engine starts one child per key and parent: the child's run id.
    key: str
    #: Seconds to wait (a durable sleep) before starting it.
    countdown: float = 0


class Ended(NamedTuple):
    """How a child ended: its output, or the type and message of its error."""

    output: dict[str, Any] | None = None
    exc_type: str | None = None
    message: str | None = None


async def run_children(ctx: Any, children: list[Child]) -> list[Ended]:
    """Start these children of the durable run of ``ctx`` (the SDK's ``DurableContext``) at
    once, and wait for them all. On a replay the engine answers each start with the child it
    started before, and each wait with its result if it has ended."""
    if not getattr(ctx, "_supports_durable_eviction", False):
        raise EngineError(
            "This Hatchet engine does not support durable child runs (engine v0.80.0 or "
            "newer is needed)."
        )
    for child in {c.job: c for c in children}.values():
        await asyncio.to_thread(ensure_registered, child.job, child.options)
    wait = max((c.countdown for c in children), default=0)
    if wait:
        await ctx.aio_sleep_for(timedelta(seconds=wait))
    config = get_client()._client.config
    spawned = await ctx._spawn_children_no_wait(
        [
            WorkflowRunTriggerConfig(
                workflow_name=config.apply_namespace(c.job),
                input=c.payload,
                options=TriggerWorkflowOptions(
                    additional_metadata=c.metadata, priority=c.priority, child_key=c.key
                ),
            )
            for c in children
        ]
    )
    return list(await asyncio.gather(*(_ended(ctx, s) for s in spawned)))


async def _ended(ctx: Any, spawned: Any) -> Ended:
    try:
        output = await ctx._aio_result_for_spawned_child(
            node_id=spawned.node_id,
            branch_id=spawned.branch_id,
            workflow_name=spawned.workflow_name,
        )
    except TaskRunError as exc:
        return Ended(exc_type=exc.exc_type, message=exc.exc)
    return Ended(output=dict(output or {}))


async def sleep(ctx: Any, seconds: float) -> None:
    """A durable sleep of the running durable task: the engine wakes it (on any worker)."""
    await ctx.aio_sleep_for(timedelta(seconds=seconds))


async def wait_for_events(
    ctx: Any, keys: tuple[str, ...], timeout: float | None, since: datetime
) -> tuple[tuple[str, dict[str, Any]] | None, datetime]:
    """Wait durably for an event sent with one of ``keys`` (``send_event``) at ``since`` or
    later, or for ``timeout`` seconds. Return (its key and payload, or None when the time
    ran out) and the time the wait ended, which a replay finds again in the durable log."""
    conditions: list[Any] = [
        UserEventCondition(
            event_key=key, readable_data_key=key, scope=EVENT_SCOPE, consider_events_since=since
        )
        for key in keys
    ]
    if timeout is not None:
        conditions.append(SleepCondition(timedelta(seconds=timeout), readable_data_key=TIMEOUT_KEY))
    # A key of its own per wait, in the order of the task's waits (the SDK's sleeps count
    # the same way), so that a replay meets the same waits in the same order.
    index = ctx._increment_wait_index()
    matched = await ctx.aio_wait_for(f"django_hatchet:wait-{index}", or_(*conditions))
    ended = await ctx.aio_now()
    created: dict[str, list[Any]] = matched.get("CREATE", {})
    for key in keys:
        if created.get(key):
            payload = created[key][0]
            return (key, payload if isinstance(payload, dict) else {}), ended
    return None, ended
