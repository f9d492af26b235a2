"""A worker on the engine: check the engine answers, start the embedded one, and run the
SDK's worker for a set of jobs until it is stopped."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from hatchet_sdk import ClientConfig, Context, Hatchet, NonRetryableException

from .client import EngineError, client_config, get_client
from .definitions import Definition, tasks_for

__all__ = [
    "Context",
    "NonRetryableException",
    "connect",
    "parent_results",
    "put_rate_limits",
    "start_embedded",
    "start_worker",
]


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
            "HATCHET_CLIENT_EMBEDDED_BINARY_PATH at a sidecar (manage.py hatchet_engine build "
            "builds this package's), and HATCHET_CLIENT_EMBEDDED_DATABASE_URL at a Postgres."
        ) from None
    return {"token": config.token, "host_port": config.host_port, "server_url": config.server_url}


def start_worker(
    name: str,
    slots: int,
    labels: dict[str, str | int],
    jobs: list[Definition],
    drain_timeout: float,
    on_drain_timeout: Callable[[], None],
    on_signal: Callable[[int], None] | None = None,
    healthcheck: bool = True,
) -> None:
    """Build the SDK's worker for these jobs and workflows and run it until it is stopped;
    ``on_signal`` hears each SIGTERM or SIGINT first. ``healthcheck=False``: never serve the
    SDK's healthcheck (``HATCHET_CLIENT_WORKER_HEALTHCHECK_*``), which another worker of this
    process group serves on its port.

    The SDK handles SIGTERM and SIGINT: the first stops taking runs and waits for those in
    flight, then exits 0; a second forces the stop. It waits with no limit, so a first signal
    here also starts a ``drain_timeout`` timer, which calls ``on_drain_timeout`` and forces
    the stop (exit 1). Its ``start()`` ends the process with ``sys.exit``.
    """
    import signal

    from .capture import capture_unpropagated

    capture_unpropagated()  # The job's lines of loggers that do not reach the root logger.
    tasks = tasks_for(jobs)
    if not healthcheck:
        get_client().config.healthcheck.enabled = False
    worker = get_client().worker(name, slots=slots, labels=labels or None, workflows=tasks)
    drain = _DrainTimer(drain_timeout, on_drain_timeout, on_signal)
    for signum in (signal.SIGTERM, signal.SIGINT):
        sdk_handler = signal.getsignal(signum)
        if callable(sdk_handler):
            signal.signal(signum, drain.wrap(sdk_handler))
    worker.start()


#: Seconds within which a second stop signal is the same stop, not the forced stop that a
#: second signal asks for (Ctrl-C reaches the whole process group: a worker and its durable
#: worker, which also hears it from its worker).
SAME_STOP = 0.5


class _DrainTimer:
    """Bounds the SDK's graceful stop, which waits for the runs in flight with no limit."""

    def __init__(
        self,
        timeout: float,
        on_timeout: Callable[[], None],
        on_signal: Callable[[int], None] | None = None,
    ) -> None:
        self.timeout, self.on_timeout, self.on_signal = timeout, on_timeout, on_signal
        self.timer: threading.Timer | None = None
        self.last_signal = 0.0

    def wrap(self, handler: Callable[[int, Any], Any]) -> Callable[[int, Any], Any]:
        def on_signal(signum: int, frame: Any) -> Any:
            now = time.monotonic()
            if now - self.last_signal < SAME_STOP:
                return None  # The same stop, sent to the process and to its group.
            self.last_signal = now
            if self.on_signal is not None:
                self.on_signal(signum)
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


def put_rate_limits(limits: dict[str, tuple[int, str]]) -> None:
    """Declare rate limits on the engine: key -> (limit, per SECOND/MINUTE/HOUR/DAY/...)."""
    from hatchet_sdk import RateLimitDuration

    client = get_client()
    for key, (limit, per) in limits.items():
        client.rate_limits.put(key, limit, RateLimitDuration[per.upper()])


def parent_results(ctx: Context, parents: tuple[str, ...]) -> dict[str, Any]:
    """The results of a workflow step's parents, by step name, from its task's context."""
    outputs = ctx._data.parents
    return {name: (outputs.get(name) or {}).get("result") for name in parents}
