"""Jobs as the SDK's tasks: the definition the engine keeps of each job, from its options."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from hatchet_sdk.runnables.workflow import BaseWorkflow

from ..conf import conf
from ..options import JobOptions
from .client import get_client

__all__ = ["QUEUE_LABEL", "Task", "task_options", "tasks_for", "workflow_definition"]

Task = BaseWorkflow[Any]

#: The worker label that routes a job with ``@job(queue=...)``.
QUEUE_LABEL = "queue"


def as_timedelta(value: timedelta | None, default: timedelta) -> timedelta:
    return value if value is not None else default


def task_options(name: str, options: JobOptions) -> dict[str, Any]:
    """The SDK's task options for a job's options."""
    from hatchet_sdk import (
        ConcurrencyExpression,
        ConcurrencyLimitStrategy,
        DesiredWorkerLabel,
        RateLimit,
        TTLBasedIdempotencyConfig,
    )
    from hatchet_sdk import Priority as SDKPriority

    concurrency = options.concurrency
    return {
        "name": name,
        "retries": options.retries,
        "execution_timeout": as_timedelta(options.timeout, conf.DEFAULT_TIMEOUT),
        "schedule_timeout": as_timedelta(options.schedule_timeout, conf.DEFAULT_SCHEDULE_TIMEOUT),
        "backoff_factor": options.backoff_factor,
        "backoff_max_seconds": options.backoff_max_seconds,
        "default_priority": SDKPriority(int(options.priority or 1)),
        "concurrency": ConcurrencyExpression(
            expression=concurrency.key,
            max_runs=concurrency.max_runs,
            limit_strategy=getattr(ConcurrencyLimitStrategy, concurrency.strategy),
        )
        if concurrency
        else None,
        "rate_limits": [RateLimit(static_key=k, units=u) for k, u in options.rate_limits] or None,
        "desired_worker_labels": [
            DesiredWorkerLabel(key=QUEUE_LABEL, value=options.queue, required=True)
        ]
        if options.queue
        else None,
        "on_events": list(options.on_events) or None,
        "idempotency": TTLBasedIdempotencyConfig(
            key_expression=options.idempotency.key, ttl=options.idempotency.ttl
        )
        if options.idempotency
        else None,
    }


def _never_run(input: Any, ctx: Any) -> None:
    raise RuntimeError("A job's definition registered from outside a worker is never run there.")


async def _never_run_durable(input: Any, ctx: Any) -> None:
    _never_run(input, ctx)


def workflow_definition(name: str, options: JobOptions) -> Any:
    """The definition a worker registers for this job (the same, so the same version), to
    register it from another process: the function a task runs is not part of it."""
    function = _never_run_durable if options.durable else _never_run
    (task,) = tasks_for([(name, options, function)])
    return task.to_proto()


def tasks_for(jobs: Iterable[tuple[str, JobOptions, Callable[..., Any]]]) -> list[Task]:
    """The SDK's tasks for (job name, options, the function the task runs) of each job."""
    client = get_client()
    tasks: list[Task] = []
    for name, options, function in jobs:
        kind = client.durable_task if options.durable else client.task
        decorate: Any = kind(**task_options(name, options))
        tasks.append(decorate(function))
    return tasks
