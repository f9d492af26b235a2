"""The only package that imports the Hatchet SDK.

Everything that talks to a Hatchet engine goes through here: the client, triggering runs,
reading them back, and turning jobs into the SDK's tasks for a worker (this module), and the
crons (``crons``). Nothing imports this package until a job is dispatched to an engine or a
worker starts, so the web process in inline mode never loads the SDK (about 1.5 s and 90 MB).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import grpc
from django.core.exceptions import ImproperlyConfigured
from hatchet_sdk import ClientConfig, Context, Hatchet, NonRetryableException
from hatchet_sdk.config import ClientTLSConfig
from hatchet_sdk.runnables.workflow import BaseWorkflow
from hatchet_sdk.types.trigger import ScheduleTriggerWorkflowOptions, TriggerWorkflowOptions
from hatchet_sdk.utils.typing import JSONSerializableMapping

from ..conf import conf, scrub
from ..objects import ABOUT, metadata_for

if TYPE_CHECKING:
    from ..backends.base import Dispatch

logger = logging.getLogger("django_hatchet")

#: Additional metadata keys every run carries.
RUN_ID_KEY = "django_hatchet_run_id"
JOB_KEY = "django_hatchet_job"

_lock = threading.Lock()
_client: Hatchet | None = None


def get_client() -> Hatchet:
    """The process's Hatchet client, built on first use from the settings and environment."""
    global _client
    client = _client
    if client is None:
        with _lock:
            if _client is None:
                _client = Hatchet(config=client_config())
                _bound_calls(_client, conf.DISPATCH_TIMEOUT.total_seconds())
            client = _client
    return client


class _Deadline:
    """A gRPC stub whose calls carry a deadline unless given one: the SDK sets none, so an
    engine that accepts the connection but never answers would hang ``.delay()``."""

    def __init__(self, stub: Any, timeout: float) -> None:
        self._stub, self._timeout = stub, timeout

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._stub, name)
        timeout = self._timeout

        def with_deadline(*args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", timeout)
            return call(*args, **kwargs)

        return with_deadline


def _bound_calls(client: Hatchet, timeout: float) -> None:
    """Give a deadline to the calls of both stubs of the SDK's admin client: triggers and
    schedules (v0), job registrations and run details (v1)."""
    admin = client._client.admin
    admin.v0_client = _Deadline(admin._get_or_create_v0_client(), timeout)  # type: ignore[assignment]
    admin.client = _Deadline(admin._get_or_create_v1_client(), timeout)  # type: ignore[assignment]


def reset_client() -> None:
    global _client
    with _lock:
        _client = None
        _registered.clear()


#: The jobs whose definition this process has put on the engine (``ensure_registered``).
_registered: set[str] = set()


def ensure_registered(job: Any) -> None:
    """Put the job's definition on the engine, once per process, before its first run.

    The engine accepts a run of a job no worker has registered yet, answers with a run id,
    and then drops it: it never appears, never runs. Registering the definition from the
    enqueuing process (as a worker would) makes such a run wait in the queue, visible, until
    a worker for it starts (or its schedule timeout fails it)."""
    if job.name in _registered:
        return
    try:
        (task,) = tasks_for([job])
        get_client()._client.admin.put_workflow(task.to_proto())
    except grpc.RpcError as exc:
        if unreachable(exc) is not None:
            raise  # The dispatch fails alike, and its policy applies.
        logger.warning("Could not register %s on the engine before its run: %s", job.name, exc)
    _registered.add(job.name)


def client_config() -> ClientConfig:
    """Django settings first; the SDK reads anything they leave unset from ``HATCHET_CLIENT_*``."""
    from hatchet_sdk.config import TenacityConfig

    options: dict[str, Any] = {
        "token": conf.CLIENT_TOKEN,
        # The SDK retries a failed call 5 times with backoff (about 19 s when the engine is
        # down); HATCHET_DISPATCH_ATTEMPTS bounds it, and HATCHET_ON_UNREACHABLE takes over.
        "tenacity": TenacityConfig(max_attempts=conf.DISPATCH_ATTEMPTS),
    }
    given = conf.CLIENT_OPTIONS
    tls_strategy = given.pop("tls_strategy", None)
    options.update(given)
    if tls_strategy is not None:
        options["tls_config"] = ClientTLSConfig(strategy=tls_strategy)
    try:
        return ClientConfig(**options)
    except ValueError as exc:  # pydantic's ValidationError, which quotes the values (the token)
        errors: list[Any] = getattr(exc, "errors", list)()
        # The SDK's message adds "Hint: these are the first few characters of the token".
        reasons = "; ".join(str(e.get("msg", "")).split(" Hint:")[0] for e in errors)
        raise ImproperlyConfigured(
            f"The Hatchet client settings are not valid: {scrub(reasons or type(exc).__name__)}. "
            "Check "
            "HATCHET_CLIENT_TOKEN (a token of your engine's tenant) and the other "
            "HATCHET_CLIENT_* settings."
        ) from None


#: Metadata added to every run this process triggers, from any thread (the ``hatchet_worker``
#: test fixture tags a test's runs with it).
EXTRA_METADATA: dict[str, str] = {}


def metadata(dispatch: Dispatch) -> dict[str, str]:
    data = {RUN_ID_KEY: dispatch.run.id, JOB_KEY: dispatch.job.name}
    if EXTRA_METADATA:
        data.update(EXTRA_METADATA)
    if dispatch.job.name in ABOUT:  # @about: the model instance the run is about.
        data.update(metadata_for(dispatch))
    return data


#: gRPC codes that mean the engine could not be reached (not that it refused the request).
UNREACHABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


def unreachable(exc: BaseException) -> str | None:
    """Why the engine could not be reached, if that is what ``exc`` says; else None."""
    if isinstance(exc, grpc.RpcError) and exc.code() in UNREACHABLE_CODES:
        return f"{exc.code().name}: {exc.details()}"
    return None


def maybe_handled(exc: BaseException) -> bool:
    """True when the engine may have handled the request that failed with ``exc``:
    UNAVAILABLE means it was not (safe to send again); DEADLINE_EXCEEDED that no answer came
    in time, so it may have been."""
    return not (isinstance(exc, grpc.RpcError) and exc.code() == grpc.StatusCode.UNAVAILABLE)


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
    ref = get_client()._client.admin.run_workflow(
        name, payload, TriggerWorkflowOptions(additional_metadata=meta, priority=priority)
    )
    return str(ref.workflow_run_id)


def trigger(dispatch: Dispatch) -> None:
    """Start (or schedule) the run on the engine; record the engine's id on the handle."""
    ensure_registered(dispatch.job)
    run = dispatch.run
    priority = int(dispatch.priority) if dispatch.priority is not None else None
    if dispatch.run_at is not None:
        run._schedule_id = schedule(
            dispatch.job.name, dispatch.payload, metadata(dispatch), dispatch.run_at, priority
        )
        return
    from hatchet_sdk.exceptions import IdempotencyCollisionError

    try:
        engine_run_id = start(dispatch.job.name, dispatch.payload, metadata(dispatch), priority)
    except IdempotencyCollisionError as exc:
        existing = exc.existing_run_external_id
        run.engine_run_id = existing
        run.deduplicated = True
        earlier_id = _run_metadata(existing)
        run.id = str(earlier_id.get(RUN_ID_KEY) or run.id)
        return
    run.engine_run_id = engine_run_id


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


def trigger_many(dispatches: list[Dispatch]) -> None:
    """Start many runs with the SDK's bulk trigger: one round trip per 1,000 runs."""
    from hatchet_sdk.clients.admin import WorkflowRunTriggerConfig

    if dispatches:
        ensure_registered(dispatches[0].job)
    if dispatches and dispatches[0].job.options.idempotency:
        # Bulk collisions do not say which item matched which run: one request per run.
        for d in dispatches:
            trigger(d)
        return
    admin = get_client()._client.admin
    configs = [
        WorkflowRunTriggerConfig(
            workflow_name=d.job.name,
            input=d.payload,
            options=TriggerWorkflowOptions(
                additional_metadata=metadata(d),
                priority=int(d.priority) if d.priority is not None else None,
            ),
        )
        for d in dispatches
    ]
    refs = admin.run_workflows(configs)
    for d, ref in zip(dispatches, refs, strict=True):
        d.run.engine_run_id = ref.workflow_run_id


def find_run(run_id: str, since: datetime) -> tuple[str, str] | None:
    """(engine run id, job name) of the run django-hatchet gave this id, from its metadata."""
    rows = (
        get_client()
        .runs.list(
            since=since,
            additional_metadata={RUN_ID_KEY: run_id},
            limit=1,
            include_payloads=False,
        )
        .rows
    )
    if not rows:
        return None
    return rows[0].workflow_run_external_id, str(
        (rows[0].additional_metadata or {}).get(JOB_KEY, "")
    )


def find_schedule(run_id: str) -> tuple[str, str] | None:
    """(schedule id, job name) of a scheduled run that has not fired yet."""
    rows = get_client().scheduled.list(additional_metadata={RUN_ID_KEY: run_id}, limit=1).rows
    if not rows:
        return None
    return rows[0].metadata.id, str((rows[0].additional_metadata or {}).get(JOB_KEY, ""))


def run_details(
    engine_run_id: str,
) -> tuple[str, JSONSerializableMapping | None, str | None] | None:
    """(status, output, error) of a run as the engine has them; None if it has no record yet
    (the engine writes a new run asynchronously)."""
    import grpc

    try:
        details = get_client().runs.get_details(engine_run_id)
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return None
        if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
            raise TooLarge(
                f"The engine's answer about run {engine_run_id} is larger than a gRPC message "
                f"may be ({exc.details()}): its input and output together are over the limit. "
                "Return less (store large results in your database or storage, and return "
                "their id), or raise HATCHET_CLIENT_GRPC_MAX_RECV_MESSAGE_LENGTH."
            ) from None
        raise
    output = error = None
    for task in details.task_runs.values():
        output = task.output
        error = task.error
    return details.status.name, output, error


def cancel(engine_run_id: str) -> None:
    get_client().runs.cancel(engine_run_id)


def parse_error(serialized: str) -> tuple[str, str, str]:
    """(exception type, message, traceback) from the error text the SDK stores for a failure."""
    from hatchet_sdk.exceptions import TaskRunError

    error = TaskRunError.deserialize(serialized)
    return error.exc_type, error.exc, error.trace


def delete_schedule(schedule_id: str) -> None:
    get_client().scheduled.delete(schedule_id)


def schedule_pending(schedule_id: str) -> bool:
    """True while a scheduled run waits for its time (the engine deletes it when it fires)."""
    from hatchet_sdk.clients.rest.exceptions import NotFoundException

    try:
        scheduled = get_client().scheduled.get(schedule_id)
    except NotFoundException:
        return False
    return not scheduled.workflow_run_id


# The worker side ---------------------------------------------------------------------------


class TooLarge(Exception):
    """The engine's answer does not fit in a gRPC message."""


class EngineError(Exception):
    """The engine refused us, or cannot be reached; the message says what to fix."""


def address() -> str:
    return str(get_client()._client.config.host_port)


def connect(attempts: int, on_retry: Callable[[str, str, float], None]) -> str:
    """Check that the engine answers and accepts the token, retrying with backoff while it
    cannot be reached. Return its address; raise EngineError if it never answers."""
    import asyncio

    import grpc

    try:
        config = client_config()
    except ImproperlyConfigured as exc:
        raise EngineError(str(exc)) from None
    where = config.host_port
    delay = 1.0
    for attempt in range(1, attempts + 1):
        probe = Hatchet(config=config)  # Its own channels, closed with this loop.
        try:
            version = asyncio.run(probe._client.dispatcher.get_version())
            return f"{where} (engine {version or 'version unknown'})"
        except grpc.RpcError as exc:
            code = exc.code()
            if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                raise EngineError(
                    f"The Hatchet engine at {where} refused the token ({exc.details()}). "
                    "Check HATCHET_CLIENT_TOKEN: it must be a token of this engine's tenant."
                ) from None
            if attempt == attempts:
                raise EngineError(
                    f"Cannot reach the Hatchet engine at {where} after {attempts} attempts "
                    f"({code.name}: {exc.details()}). Is it running? Its address comes from "
                    "the token, or HATCHET_CLIENT_HOST_PORT."
                ) from None
            on_retry(where, f"{code.name}: {exc.details()}", delay)
            time.sleep(delay)
            delay = min(delay * 2, 30.0)
    raise AssertionError("unreachable")


def start_embedded() -> dict[str, str]:
    """Start the SDK's embedded engine, owned by this process (it stops when the process
    ends); return how to connect to it."""
    from hatchet_sdk.config import EmbeddedHatchetConfig
    from hatchet_sdk.embedded import resolve_embedded_connection

    try:
        config = resolve_embedded_connection(ClientConfig(embedded=EmbeddedHatchetConfig()))
    except (RuntimeError, TimeoutError, OSError) as exc:
        raise EngineError(
            f"The embedded Hatchet engine did not start: {exc}. Without internet access, point "
            "HATCHET_CLIENT_EMBEDDED_BINARY_PATH at a sidecar (in this repository: "
            "scripts/hatchet-engine build), and HATCHET_CLIENT_EMBEDDED_DATABASE_URL at a Postgres."
        ) from None
    return {"token": config.token, "host_port": config.host_port, "server_url": config.server_url}


def start_worker(
    name: str,
    slots: int,
    labels: dict[str, str | int],
    jobs: list[Any],
    drain_timeout: float,
    on_drain_timeout: Callable[[], None],
) -> None:
    """Build the SDK's worker for these jobs and run it until it is stopped.

    The SDK handles SIGTERM and SIGINT: the first stops taking runs and waits for those in
    flight, then exits 0; a second forces the stop. It waits with no limit, so a first signal
    here also starts a ``drain_timeout`` timer, which calls ``on_drain_timeout`` and forces
    the stop (exit 1). Its ``start()`` ends the process with ``sys.exit``.
    """
    import signal

    tasks = tasks_for(jobs)
    worker = get_client().worker(name, slots=slots, labels=labels or None, workflows=tasks)
    drain = _DrainTimer(drain_timeout, on_drain_timeout)
    for signum in (signal.SIGTERM, signal.SIGINT):
        sdk_handler = signal.getsignal(signum)
        if callable(sdk_handler):
            signal.signal(signum, drain.wrap(sdk_handler))
    worker.start()


class _DrainTimer:
    """Bounds the SDK's graceful stop, which waits for the runs in flight with no limit."""

    def __init__(self, timeout: float, on_timeout: Callable[[], None]) -> None:
        self.timeout, self.on_timeout = timeout, on_timeout
        self.timer: threading.Timer | None = None

    def wrap(self, handler: Callable[[int, Any], Any]) -> Callable[[int, Any], Any]:
        def on_signal(signum: int, frame: Any) -> Any:
            if self.timer is None:
                self.timer = threading.Timer(self.timeout, self.expire)
                self.timer.daemon = True
                self.timer.start()
            return handler(signum, frame)

        return on_signal

    def expire(self) -> None:
        import os
        import signal

        self.on_timeout()
        os.kill(os.getpid(), signal.SIGQUIT)  # The SDK's forced stop: listener killed, exit 1.
        time.sleep(2)  # Its threads still running jobs are not killed: end the process.
        os._exit(1)


Task = BaseWorkflow[Any]

#: The worker label that routes a job with ``@job(queue=...)``.
QUEUE_LABEL = "queue"


def as_timedelta(value: timedelta | None, default: timedelta) -> timedelta:
    return value if value is not None else default


def task_options(job: Any) -> dict[str, Any]:
    """The SDK's task options for a job's options."""
    from hatchet_sdk import (
        ConcurrencyExpression,
        ConcurrencyLimitStrategy,
        DesiredWorkerLabel,
        RateLimit,
        TTLBasedIdempotencyConfig,
    )
    from hatchet_sdk import Priority as SDKPriority

    options = job.options
    concurrency = options.concurrency
    return {
        "name": job.name,
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


def tasks_for(jobs: Iterable[Any]) -> list[Task]:
    from ..execution import make_task_function

    client = get_client()
    tasks: list[Task] = []
    for job in jobs:
        decorate: Any = client.task(**task_options(job))
        tasks.append(decorate(make_task_function(job)))
    return tasks


def put_rate_limits(limits: dict[str, tuple[int, str]]) -> None:
    """Declare rate limits on the engine: key -> (limit, per SECOND/MINUTE/HOUR/DAY/...)."""
    from hatchet_sdk import RateLimitDuration

    client = get_client()
    for key, (limit, per) in limits.items():
        client.rate_limits.put(key, limit, RateLimitDuration[per.upper()])


def send_event(key: str, payload: dict[str, Any]) -> None:
    get_client().event.push(key, payload)


__all__ = ["Context", "NonRetryableException"]
