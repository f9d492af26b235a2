"""Jobs as the SDK's tasks: the definition the engine keeps of each job, from its options."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, NamedTuple

from hatchet_sdk.runnables.workflow import BaseWorkflow

from ..conf import conf
from ..options import JobOptions, Steps
from .client import get_client

__all__ = [
    "QUEUE_LABEL",
    "Definition",
    "Task",
    "task_options",
    "tasks_for",
    "workflow_definition",
]

Task = BaseWorkflow[Any]


class Definition(NamedTuple):
    """A job, or a workflow of steps, as a worker registers it on the engine."""

    name: str
    options: JobOptions
    #: The function its task runs; a workflow's: the function of each step, by step name.
    run: Callable[..., Any] | dict[str, Callable[..., Any]]
    steps: Steps = ()


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


def workflow_definition(name: str, options: JobOptions, steps: Steps = ()) -> Any:
    """The definition a worker registers for this job or workflow (the same, so the same
    version), to register it from another process: the functions its tasks run are not part
    of it."""
    function = _never_run_durable if options.durable else _never_run
    if steps:
        runs = {s.name: _never_run_durable if s.options.durable else _never_run for s in steps}
        (task,) = tasks_for([Definition(name, options, runs, steps)])
    else:
        (task,) = tasks_for([Definition(name, options, function)])
    return task.to_proto()


#: What a workflow's steps do not take of ``task_options`` (the workflow has them).
_WORKFLOW_LEVEL = ("name", "default_priority", "on_events", "idempotency", "concurrency")


def tasks_for(definitions: Iterable[Definition]) -> list[Task]:
    """The SDK's tasks (a workflow's: its DAG workflow) for these definitions."""
    client = get_client()
    tasks: list[Task] = []
    for name, options, run, steps in definitions:
        if steps:
            assert isinstance(run, dict)
            tasks.append(_dag(name, options, run, steps))
            continue
        kind = client.durable_task if options.durable else client.task
        decorate: Any = kind(**task_options(name, options))
        tasks.append(decorate(run))
    return tasks


def _dag(name: str, options: JobOptions, runs: dict[str, Callable[..., Any]], steps: Steps) -> Task:
    """A workflow as Hatchet's DAG workflow: a task per step, each after its parents."""
    workflow_options = task_options(name, options)
    dag = get_client().workflow(
        name=name,
        default_priority=workflow_options["default_priority"],
        on_events=workflow_options["on_events"],
        concurrency=workflow_options["concurrency"],
    )
    made: dict[str, Any] = {}
    for step in steps:  # Each after its parents.
        kind = dag.durable_task if step.options.durable else dag.task
        step_options = {
            k: v
            for k, v in task_options(step.name, step.options).items()
            if k not in _WORKFLOW_LEVEL
        }
        decorate: Any = kind(
            name=step.name, parents=[made[p] for p in step.parents], **step_options
        )
        made[step.name] = decorate(runs[step.name])
    return dag
