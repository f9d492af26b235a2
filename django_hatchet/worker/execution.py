"""Running a job's function on a worker: the task function the SDK calls.

The SDK runs sync tasks in a thread pool and async ones on one event loop, and knows nothing
of Django's database connections: each run closes stale connections before and after,
on the thread that runs it, as Django does around a request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections

from ..backends.single_flight import SKIPPED, single_flight
from ..encoding import return_value_error, round_trip
from ..engine.definitions import Definition
from ..engine.worker import Context, NonRetryableException, parent_results
from ..hooks import running
from ..jobs.attempts import attempts, ends_the_run, retried
from ..jobs.context import JobContext
from ..jobs.job import Job
from ..jobs.steps import WorkflowStep
from ..jobs.workflow import Workflow
from ..runs.handle import RunStatus
from ..runs.ids import done_enqueuing, enqueuing_from
from ..runs.metadata import RUN_ID_KEY
from ..signals import job_finished, job_started
from .report import attempt_completed, attempt_failed

logger = logging.getLogger("django_hatchet")

#: What a task runs: a job, or a step of a workflow.
Runnable = Job[Any, Any] | WorkflowStep

#: The runs this worker process is running: (job or workflow step name, run id).
IN_FLIGHT: set[tuple[str, str]] = set()


def prepare_connections() -> None:
    """Before a run, on its thread: close the connections that are too old, or broken.

    Django's ``close_old_connections``, plus what ``CONN_HEALTH_CHECKS`` does for a request:
    a persistent connection (``CONN_MAX_AGE``) that the database closed meanwhile (a restart,
    a failover, an idle timeout) is noticed here, not by the job's first query."""
    close_old_connections()
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.in_atomic_block and not conn.is_usable():
            conn.close()


def _start(job: Runnable, input: Any, ctx: Context) -> tuple[list[Any], dict[str, Any], str, int]:
    call = input.model_dump() if hasattr(input, "model_dump") else dict(input)
    if ctx.triggering_event_key:
        # An event's payload is the job's keyword arguments.
        args, kwargs = [], call
    else:
        args, kwargs = list(call.get("args", [])), dict(call.get("kwargs", {}))
    if isinstance(job, WorkflowStep):
        kwargs = job.keywords(kwargs)
        if job.parents:
            kwargs.update(parent_results(ctx, job.parents))
    run_id = str(ctx.additional_metadata.get(RUN_ID_KEY) or ctx.workflow_run_id)
    attempt = ctx.attempt_number
    if job.takes_context:
        args.insert(0, JobContext(job, run_id, attempt, ctx.workflow_run_id, ctx))
    job_started.send(job, run_id=run_id, attempt=attempt)
    return args, kwargs, run_id, attempt


def _finish(job: Runnable, run_id: str, attempt: int, value: Any, started: float) -> dict[str, Any]:
    try:
        result = round_trip(value)
    except (TypeError, ValueError):
        error = return_value_error(job.name, value)
        attempt_failed(job.name, run_id, attempt, attempt, error, started, retried=False)
        job_finished.send(job, run_id=run_id, attempt=attempt, status=RunStatus.FAILED, error=error)
        raise error from None
    attempt_completed(job.name, run_id, attempt, started)
    job_finished.send(job, run_id=run_id, attempt=attempt, status=RunStatus.COMPLETED, error=None)
    # Hatchet's task output must be an object.
    return {"result": result}


def _skipped(job: Runnable, run_id: str, attempt: int, ctx: Context) -> dict[str, Any]:
    """A single-flight run that found another holding the lock: recorded, not run."""
    reason = SKIPPED.format(job=job.name)
    logger.warning("Job %s run %s skipped: %s", job.name, run_id, reason)
    ctx.log(f"skipped: {reason}")
    job_finished.send(job, run_id=run_id, attempt=attempt, status=RunStatus.COMPLETED, error=None)
    return {"result": None, "skipped": reason}


class JobExited(Exception):
    """A job raised ``SystemExit`` (or called ``exit()``): a failure like any other. Raised
    to the SDK, a ``SystemExit`` stops the worker's task loop and leaves the run RUNNING."""


def _exited(exc: SystemExit, ctx: Context) -> BaseException:
    """What a ``SystemExit`` from a job is: the SDK stopping a cancelled run's thread
    (``HATCHET_CLIENT_ENABLE_FORCE_KILL_SYNC_THREADS``), or a failure."""
    if ctx.is_cancelled:
        return exc
    return JobExited(f"the job raised SystemExit({exc.code!r})")


def _failed(job: Runnable, run_id: str, attempt: int, exc: Exception, started: float) -> Exception:
    """Report the failure; return what to raise to the SDK."""
    options = job.options
    again = retried(options, attempt, exc)
    attempt_failed(job.name, run_id, attempt, attempts(options, attempt), exc, started, again)
    job_finished.send(job, run_id=run_id, attempt=attempt, status=RunStatus.FAILED, error=exc)
    if ends_the_run(options, exc):
        return NonRetryableException(f"{type(exc).__name__}: {exc}")
    return exc


def _observed(
    job: Runnable, run_id: str, attempt: int, args: list[Any], kwargs: dict[str, Any], ctx: Context
) -> Any:
    """The integrations' hooks around the call (``django_hatchet.hooks``), with the job's own
    arguments (not its context)."""
    own = args[1:] if job.takes_context else args
    return running(job.name, run_id, attempt, own, kwargs, ctx.additional_metadata, job.options)


def _flush_progress(job: Runnable, args: list[Any]) -> None:
    """Send the progress report the job's context held back (``context.progress``)."""
    if job.takes_context and args and isinstance(args[0], JobContext):
        args[0].flush_progress()


def _generation(job: Runnable, attempt: int) -> int:
    """What the ids of the runs a run enqueues are derived from, besides its id: a job's
    attempt (a retry enqueues new runs); for a durable job, none (the engine replays a durable
    job lost with its worker as a new attempt, and the runs it enqueues before the point it
    reached must be the ones it enqueued then, as its waits are)."""
    return 0 if job.options.durable else attempt


def make_task_function(job: Runnable) -> Callable[[Any, Context], Any]:
    """The function a Hatchet task runs for ``job``: sync for a sync job, async for async."""
    if job.is_async:

        async def run_async(input: Any, ctx: Context) -> dict[str, Any]:
            started = time.monotonic()
            args, kwargs, run_id, attempt = _start(job, input, ctx)
            await sync_to_async(prepare_connections)()
            IN_FLIGHT.add((job.name, run_id))
            lock = single_flight(job.name) if job.options.single_flight else None
            enqueuing = enqueuing_from(run_id, _generation(job, attempt), job.name)
            try:
                if lock is not None and not await sync_to_async(lock.__enter__)():
                    return _skipped(job, run_id, attempt, ctx)
                with _observed(job, run_id, attempt, args, kwargs, ctx):
                    try:
                        value = await job.func(*args, **kwargs)
                    except SystemExit as exc:
                        raise _exited(exc, ctx) from exc
            except Exception as exc:
                error = _failed(job, run_id, attempt, exc, started)
                if error is exc:
                    raise
                raise error from exc
            finally:
                _flush_progress(job, args)
                done_enqueuing(enqueuing)
                if lock is not None:
                    await sync_to_async(lock.__exit__)(None, None, None)
                IN_FLIGHT.discard((job.name, run_id))
                await sync_to_async(close_old_connections)()
            return _finish(job, run_id, attempt, value, started)

        task: Callable[[Any, Context], Awaitable[dict[str, Any]] | dict[str, Any]] = run_async
    else:

        def run_sync(input: Any, ctx: Context) -> dict[str, Any]:
            started = time.monotonic()
            args, kwargs, run_id, attempt = _start(job, input, ctx)
            prepare_connections()
            IN_FLIGHT.add((job.name, run_id))
            lock = single_flight(job.name) if job.options.single_flight else None
            enqueuing = enqueuing_from(run_id, _generation(job, attempt), job.name)
            try:
                if lock is not None and not lock.__enter__():
                    return _skipped(job, run_id, attempt, ctx)
                with _observed(job, run_id, attempt, args, kwargs, ctx):
                    try:
                        value = job.func(*args, **kwargs)
                    except SystemExit as exc:
                        raise _exited(exc, ctx) from exc
            except Exception as exc:
                error = _failed(job, run_id, attempt, exc, started)
                if error is exc:
                    raise
                raise error from exc
            finally:
                _flush_progress(job, args)
                done_enqueuing(enqueuing)
                if lock is not None:
                    lock.__exit__(None, None, None)
                IN_FLIGHT.discard((job.name, run_id))
                close_old_connections()
            return _finish(job, run_id, attempt, value, started)

        task = run_sync
    task.__name__ = task.__qualname__ = job.name.replace(".", "_").replace("-", "_")
    task.__doc__ = job.func.__doc__
    return task


def definition(job: Job[Any, Any]) -> Definition:
    """The job (or the workflow, with a task function for each of its steps) as a worker
    registers it."""
    if isinstance(job, Workflow):
        runs = {step.step_name: make_task_function(step) for step in job.steps}
        return Definition(job.name, job.options, runs, job.engine_steps)
    return Definition(job.name, job.options, make_task_function(job))
