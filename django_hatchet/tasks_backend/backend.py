"""The Tasks backend, and the job that runs each of its tasks (sending the Tasks signals)."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from traceback import format_exception
from typing import Any, ParamSpec, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.crypto import get_random_string

from ..backends import get_backend
from ..jobs.context import JobContext
from ..jobs.decorator import job
from ..jobs.job import Job
from ..jobs.registry import registry
from ..options import Priority
from ..runs.ids import run_id_time
from ..signals import job_enqueued
from .framework import (
    DEFAULT_TASK_QUEUE_NAME,
    FAILED,
    RUNNING,
    SUCCESSFUL,
    BaseTaskBackend,
    InvalidTask,
    Task,
    TaskContext,
    TaskError,
    TaskResult,
    TaskResultDoesNotExist,
    normalize_json,
    task_enqueued,
    task_finished,
    task_started,
)
from .results import engine_record, enqueuing, held, new_result, remember, result_from_record

__all__ = ["HatchetBackend", "HatchetTask", "hatchet_priority"]

P = ParamSpec("P")
R = TypeVar("R")
_lock = threading.Lock()
#: Per job name: the job that runs a task, and the task it was built from.
_jobs: dict[str, Job[Any, Any]] = {}
_tasks: dict[str, HatchetTask] = {}
_inline_worker_id = get_random_string(32)


def hatchet_priority(priority: int) -> Priority:
    """Hatchet's priority for a Tasks priority: below 0 LOW, 0 MEDIUM, above 0 HIGH."""
    if priority < 0:
        return Priority.LOW
    if priority > 0:
        return Priority.HIGH
    return Priority.MEDIUM


def job_queue(queue_name: str) -> str | None:
    """The job queue (worker label) for a task's ``queue_name``; none for the default queue."""
    return None if queue_name == DEFAULT_TASK_QUEUE_NAME else queue_name


class HatchetTask(Task):  # type: ignore[type-arg]
    """A task that is also a registered job, so that ``runworker`` runs it."""

    __slots__ = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        job_for(self)


class HatchetBackend(BaseTaskBackend):
    """Run Django's tasks as django-hatchet jobs, inline or on the Hatchet engine."""

    task_class = HatchetTask
    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    supports_priority = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        enqueue_on_commit = params.get("ENQUEUE_ON_COMMIT")
        if enqueue_on_commit is not None and not isinstance(enqueue_on_commit, bool):
            raise ImproperlyConfigured(
                f"TASKS[{alias!r}]['ENQUEUE_ON_COMMIT'] must be True, False or None (then "
                f"HATCHET_ENQUEUE_ON_COMMIT decides), not {enqueue_on_commit!r}."
            )
        #: None: HATCHET_ENQUEUE_ON_COMMIT decides.
        self.enqueue_on_commit: bool | None = enqueue_on_commit

    def validate_task(self, task: Task[..., Any]) -> None:
        super().validate_task(task)
        existing = _tasks.get(task.module_path)
        if (
            existing is not None
            and existing.func is task.func
            and job_queue(task.queue_name) != job_queue(existing.queue_name)
        ):
            queue = task.queue_name
            raise InvalidTask(
                f"{task.module_path} is on queue {existing.queue_name!r}, and "
                f"using(queue_name={queue!r}) cannot send one call to another queue: "
                "HatchetBackend's queues are those of the workers (runworker --queue), which "
                "choose their tasks when they start. Give the queue to the decorator, "
                f"@task(queue_name={queue!r}), or define a task for that queue: a module-level "
                f"function under @task(queue_name={queue!r}) that calls {task.name}.call(...). "
                "See 'Queues' in docs/django-tasks.md."
            )

    def enqueue(
        self, task: Task[P, R], args: list[Any], kwargs: dict[str, Any]
    ) -> TaskResult[P, R]:
        self.validate_task(task)
        runner = job_for(task)
        result: TaskResult[P, R] = new_result(task, "", list(args), kwargs, self.alias)
        holder: list[TaskResult[..., Any]] = [result]
        token = enqueuing.set(holder)
        try:
            run = runner.apply_async(
                result.args,
                result.kwargs,
                eta=task.run_after,
                priority=hatchet_priority(task.priority),
                enqueue_on_commit=self.enqueue_on_commit,
            )
        finally:
            enqueuing.reset(token)
        object.__setattr__(result, "id", run.id)
        if holder:  # Not dispatched: it waits for the transaction to commit.
            remember(result)
        return result

    def get_result(self, result_id: str) -> TaskResult[..., Any]:
        result = held.get(result_id)
        if result is not None:
            return result
        if get_backend().inline:
            raise TaskResultDoesNotExist(
                f"No task result {result_id!r} in this process: tasks run inline (no "
                "HATCHET_CLIENT_TOKEN), and inline results are kept only by the process that "
                "enqueued them."
            )
        return self._engine_result(result_id)

    def _engine_result(self, result_id: str) -> TaskResult[..., Any]:
        record, enqueued_at = engine_record(result_id)
        task = _task_named(record.job_name)
        if task is None:
            raise TaskResultDoesNotExist(
                f"Task result {result_id!r} is a run of {record.job_name!r}, which is not a "
                "task of this process: tasks are found among those registered here, never "
                "imported by name. Import its module (an app's tasks.py is discovered)."
            )
        return result_from_record(task, result_id, record, enqueued_at, self.alias)


def job_for(task: Task[..., Any]) -> Job[Any, Any]:
    """The job that runs ``task``, built and registered on first use."""
    name = task.module_path
    with _lock:
        runner = _jobs.get(name)
        if runner is None or _tasks[name].func is not task.func:
            runner = _build_job(task)
            _jobs[name], _tasks[name] = runner, task  # type: ignore[assignment]
        elif registry.get(name) is not runner:
            try:
                registry.register(runner)
            except ValueError as exc:
                raise InvalidTask(str(exc)) from None
    return runner


def _build_job(task: Task[..., Any]) -> Job[Any, Any]:
    func = task.func
    params = list(inspect.signature(func).parameters.values())
    if task.takes_context:
        params = params[1:]
    context = inspect.Parameter("job_context", inspect.Parameter.POSITIONAL_ONLY)
    if inspect.iscoroutinefunction(func):

        async def run_async(job_context: JobContext, *args: Any, **kwargs: Any) -> Any:
            result, call = _start(task, job_context, args, kwargs)
            try:
                value = normalize_json(await call(*args, **kwargs))
            except KeyboardInterrupt:
                raise  # As in Django's ImmediateBackend: Ctrl-C is not a failed task.
            except BaseException as exc:  # exit() (SystemExit) fails the task too.
                _fail(result, exc)
                raise
            return _succeed(result, value)

        runner: Callable[..., Any] = run_async
    else:

        def run_sync(job_context: JobContext, *args: Any, **kwargs: Any) -> Any:
            result, call = _start(task, job_context, args, kwargs)
            try:
                value = normalize_json(call(*args, **kwargs))
            except KeyboardInterrupt:
                raise  # As in Django's ImmediateBackend: Ctrl-C is not a failed task.
            except BaseException as exc:  # exit() (SystemExit) fails the task too.
                _fail(result, exc)
                raise
            return _succeed(result, value)

        runner = run_sync
    runner.__module__, runner.__qualname__ = func.__module__, func.__qualname__
    runner.__name__, runner.__doc__ = func.__name__, func.__doc__
    runner.__signature__ = inspect.Signature([context, *params])  # type: ignore[attr-defined]
    try:
        built: Job[Any, Any] = job(
            name=task.module_path,
            priority=hatchet_priority(task.priority),
            queue=job_queue(task.queue_name),
            takes_context=True,
        )(runner)
    except (TypeError, ValueError) as exc:
        raise InvalidTask(str(exc)) from None
    return built


def _start(
    task: Task[..., Any], job_context: JobContext, args: Any, kwargs: Any
) -> tuple[TaskResult[..., Any], Callable[..., Any]]:
    """Mark the run's result RUNNING and send task_started; return it and what to call."""
    result = held.get(job_context.run_id)
    if result is None:  # On a worker: the result lives in the process that enqueued it.
        result = new_result(task, job_context.run_id, list(args), kwargs, task.backend)
        object.__setattr__(result, "enqueued_at", run_id_time(job_context.run_id))
    now = timezone.now()
    object.__setattr__(result, "status", RUNNING)
    object.__setattr__(result, "started_at", now)
    object.__setattr__(result, "last_attempted_at", now)
    hatchet = job_context.hatchet
    result.worker_ids.append(str(hatchet.worker_id) if hatchet is not None else _inline_worker_id)
    task_started.send(HatchetBackend, task_result=result)
    call: Callable[..., Any] = task.func
    if task.takes_context:
        call = functools.partial(task.func, TaskContext(task_result=result))
    return result, call


def _succeed(result: TaskResult[..., Any], value: Any) -> Any:
    object.__setattr__(result, "_return_value", value)
    object.__setattr__(result, "finished_at", timezone.now())
    object.__setattr__(result, "status", SUCCESSFUL)
    task_finished.send(HatchetBackend, task_result=result)
    return value


def _fail(result: TaskResult[..., Any], exc: BaseException) -> None:
    kind = type(exc)
    result.errors.append(
        TaskError(
            exception_class_path=f"{kind.__module__}.{kind.__qualname__}",
            traceback="".join(format_exception(exc)),
        )
    )
    object.__setattr__(result, "finished_at", timezone.now())
    object.__setattr__(result, "status", FAILED)
    task_finished.send(HatchetBackend, task_result=result)


def _on_job_enqueued(sender: Job[Any, Any], run: Any, **kwargs: Any) -> None:
    """A task's run was dispatched: its result is READY; send task_enqueued."""
    if _jobs.get(sender.name) is not sender:
        return
    result = held.pop(run.id, None)
    if result is None:
        holder = enqueuing.get()
        if not holder:  # Enqueued through the job (job.delay()), not the task.
            return
        result = holder.pop()
    object.__setattr__(result, "id", run.id)
    object.__setattr__(result, "enqueued_at", timezone.now())
    if get_backend().inline:
        remember(result)
    task_enqueued.send(HatchetBackend, task_result=result)


job_enqueued.connect(_on_job_enqueued, dispatch_uid="django_hatchet.tasks_backend")


def _task_named(name: str) -> Task[..., Any] | None:
    """The task a job name stands for, if this process registered it. Never imported by
    name: the name comes from the engine's records, and a crafted one must not import code."""
    return _tasks.get(name)
