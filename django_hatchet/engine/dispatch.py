"""Sending runs to the engine: start now, schedule for later, many at once, and events."""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import datetime, timezone
from typing import Any, NamedTuple

import grpc
from hatchet_sdk.types.trigger import ScheduleTriggerWorkflowOptions, TriggerWorkflowOptions

from ..options import JobOptions, Steps
from ..runs.metadata import RUN_ID_KEY
from .client import get_client, registered, unreachable
from .definitions import workflow_definition

__all__ = [
    "Call",
    "Sent",
    "ensure_registered",
    "schedule",
    "send_event",
    "start",
    "start_many",
    "start_unless_duplicate",
    "trigger",
]

logger = logging.getLogger("django_hatchet")


class Sent(NamedTuple):
    """What the engine answered to a run sent with ``trigger``."""

    #: The engine's id of the run started now (or of the earlier run it matched).
    engine_run_id: str | None = None
    #: The engine's schedule of a run for later.
    schedule_id: str | None = None
    #: The engine matched the run to an earlier one (``@job(idempotency=...)``).
    deduplicated: bool = False
    #: django-hatchet's id of that earlier run, if it has one.
    earlier_run_id: str | None = None


class Call(NamedTuple):
    """One run of a job, as ``start_many`` sends it."""

    name: str
    payload: str
    metadata: dict[str, str]
    priority: int | None


def ensure_registered(name: str, options: JobOptions, steps: Steps = ()) -> None:
    """Put the job's definition on the engine, once per process, before its first run.

    The engine accepts a run of a job no worker has registered yet, answers with a run id,
    and then drops it: it never appears, never runs. Registering the definition from the
    enqueuing process (as a worker would) makes such a run wait in the queue, visible, until
    a worker for it starts (or its schedule timeout fails it)."""
    if name in registered:
        return
    try:
        get_client()._client.admin.put_workflow(workflow_definition(name, options, steps))
    except grpc.RpcError as exc:
        if unreachable(exc) is not None:
            raise  # The dispatch fails alike, and its policy applies.
        logger.warning("Could not register %s on the engine before its run: %s", name, exc)
    registered.add(name)


def schedule(
    name: str, payload: str, meta: dict[str, str], run_at: datetime, priority: int | None
) -> str:
    """Schedule a run of job ``name`` at ``run_at``; return the schedule's id."""
    version = get_client()._client.admin.schedule_workflow(
        name,
        [run_at.astimezone(timezone.utc)],
        input=payload,
        options=ScheduleTriggerWorkflowOptions(additional_metadata=meta, priority=priority),
    )
    return str(version.scheduled_workflows[0].id)


def start(name: str, payload: str, meta: dict[str, str], priority: int | None) -> str:
    """Start a run of job ``name`` now; return the engine's run id."""
    ref = get_client()._client.admin.run_workflow(name, payload, _options(meta, priority))
    return str(ref.workflow_run_id)


def _options(meta: dict[str, str], priority: int | None) -> TriggerWorkflowOptions:
    # Inside a running job the SDK makes the run a child of that job's run, and the engine
    # starts one child per key: without one it keys children by their order in the
    # attempt, so a retried parent's runs would be matched to its first attempt's.
    return TriggerWorkflowOptions(
        additional_metadata=meta, priority=priority, child_key=meta.get(RUN_ID_KEY)
    )


def start_unless_duplicate(
    name: str, payload: str, metadata: dict[str, str], priority: int | None
) -> None:
    """Start a run of job ``name`` now, unless the engine matches it to an earlier run."""
    from hatchet_sdk.exceptions import IdempotencyCollisionError

    with contextlib.suppress(IdempotencyCollisionError):
        start(name, payload, metadata, priority)


def trigger(
    name: str,
    options: JobOptions,
    steps: Steps,
    payload: str,
    metadata: dict[str, str],
    priority: int | None,
    run_at: datetime | None,
) -> Sent:
    """Start (or schedule) a run of job (or workflow) ``name`` on the engine."""
    ensure_registered(name, options, steps)
    if run_at is not None:
        return Sent(schedule_id=schedule(name, payload, metadata, run_at, priority))
    from hatchet_sdk.exceptions import IdempotencyCollisionError

    try:
        return Sent(engine_run_id=start(name, payload, metadata, priority))
    except IdempotencyCollisionError as exc:
        existing = exc.existing_run_external_id
        earlier = _run_metadata(existing).get(RUN_ID_KEY)
        return Sent(existing, None, True, str(earlier) if earlier else None)


def _run_metadata(engine_run_id: str, wait: float = 10.0) -> dict[str, Any]:
    """A run's additional metadata; the engine's REST API lists a new run a moment after its
    gRPC side has it, so a 404 is asked again for a few seconds."""
    from hatchet_sdk.clients.rest.exceptions import NotFoundException

    deadline = time.monotonic() + wait
    while True:
        try:
            return dict(get_client().runs.get(engine_run_id).run.additional_metadata or {})
        except NotFoundException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def start_many(calls: list[Call]) -> list[Sent]:
    """Start runs of one job or several, registered beforehand (``ensure_registered``), with
    the SDK's bulk trigger: one round trip per 1,000 runs."""
    from hatchet_sdk.clients.admin import WorkflowRunTriggerConfig

    configs = [
        WorkflowRunTriggerConfig(
            workflow_name=c.name, input=c.payload, options=_options(c.metadata, c.priority)
        )
        for c in calls
    ]
    refs = get_client()._client.admin.run_workflows(configs)
    return [Sent(engine_run_id=ref.workflow_run_id) for ref in refs]


#: The scope of the events ``send_event`` sends: a durable wait looks back for events in it
#: (``workflows.wait_for_events``), so that one sent before the run reached its wait counts.
EVENT_SCOPE = "django_hatchet"


def send_event(key: str, payload: dict[str, Any]) -> None:
    get_client().event.push(key, payload, scope=EVENT_SCOPE)
