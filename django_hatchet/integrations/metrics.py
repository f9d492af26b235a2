"""Prometheus: what the enqueues and the runs of this process come to, in the project's
``prometheus_client`` registry (the one ``django_prometheus`` exposes), and ``serve()`` for
``runworker --metrics-port``.

- ``django_hatchet_enqueued_total{job}``: runs enqueued;
- ``django_hatchet_dispatch_errors_total{job}``: runs whose send to the engine failed (they
  are sent again from the outbox, or the job's ``on_unreachable`` policy applies);
- ``django_hatchet_runs_started_total{job}``, ``django_hatchet_runs_finished_total{job,status}``
  (``completed`` or ``failed``) and ``django_hatchet_run_duration_seconds{job}``: each attempt
  of a run this process ran;
- on a worker: ``django_hatchet_slots``, ``django_hatchet_slots_in_use`` and
  ``django_hatchet_outbox_depth`` (runs waiting in the outbox, counted at each scrape).
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from ..hooks import Call, Observer

if TYPE_CHECKING:
    from ..backends.base import Dispatch


class Metrics(Observer):
    name = "Prometheus"

    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.enqueued = Counter("django_hatchet_enqueued", "Runs enqueued.", ["job"])
        self.dispatch_errors = Counter(
            "django_hatchet_dispatch_errors",
            "Runs whose send to the Hatchet engine failed.",
            ["job"],
        )
        self.started = Counter(
            "django_hatchet_runs_started", "Attempts of runs started in this process.", ["job"]
        )
        self.finished = Counter(
            "django_hatchet_runs_finished",
            "Attempts of runs finished in this process, by status (completed, failed).",
            ["job", "status"],
        )
        self.duration = Histogram(
            "django_hatchet_run_duration_seconds",
            "How long the attempts of runs took.",
            ["job"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
        )

    def enqueue(self, dispatches: Sequence[Dispatch]) -> AbstractContextManager[Any] | None:
        return self._enqueue(dispatches[0].job.name, len(dispatches))

    @contextmanager
    def _enqueue(self, job: str, runs: int) -> Iterator[None]:
        yield
        self.enqueued.labels(job).inc(runs)

    def run(self, call: Call) -> AbstractContextManager[Any] | None:
        return self._run(call.job)

    @contextmanager
    def _run(self, job: str) -> Iterator[None]:
        self.started.labels(job).inc()
        started = time.monotonic()
        status = "failed"
        try:
            yield
            status = "completed"
        finally:
            self.duration.labels(job).observe(time.monotonic() - started)
            self.finished.labels(job, status).inc()

    def send_failed(self, job: str, runs: int, error: BaseException) -> None:
        self.dispatch_errors.labels(job).inc(runs)


@cache
def metrics() -> Metrics:
    """This process's metrics (registered once: a registry refuses a name twice)."""
    return Metrics()


class MetricsNotServed(Exception):
    """``runworker --metrics-port``: the address cannot be listened on."""


def serve(address: str, port: int, slots: int, in_use: Callable[[], int]) -> None:
    """Serve this process's metrics over HTTP (``/metrics``), with the worker's slots and the
    outbox's depth."""
    from prometheus_client import start_http_server

    try:
        start_http_server(port, addr=address)
    except OSError as exc:
        what = (
            "another process listens there. Choose another --metrics-port."
            if exc.errno == errno.EADDRINUSE
            else "give --metrics-port a port, or an address of this machine and a port."
        )
        raise MetricsNotServed(
            f"Cannot serve the worker's metrics on {address}:{port} ({exc.strerror}): {what}"
        ) from None
    metrics()
    gauges = worker_gauges()
    gauges.slots.set(slots)
    gauges.in_use.set_function(in_use)


class WorkerGauges:
    """The gauges only a worker has."""

    def __init__(self) -> None:
        from prometheus_client import REGISTRY, Gauge

        self.slots = Gauge("django_hatchet_slots", "The runs this worker takes at once.")
        self.in_use = Gauge("django_hatchet_slots_in_use", "The runs this worker is running.")
        REGISTRY.register(OutboxDepth())


@cache
def worker_gauges() -> WorkerGauges:
    return WorkerGauges()


class OutboxDepth:
    """``django_hatchet_outbox_depth``: counted in the database at each scrape, on the
    scrape's thread (whose connection it closes)."""

    def collect(self) -> Iterator[Any]:
        from django.db import DatabaseError, connections
        from prometheus_client.core import GaugeMetricFamily

        from ..models import OutboxEntry

        try:
            depth = OutboxEntry.objects.count()
        except DatabaseError:
            return
        finally:
            connections.close_all()
        yield GaugeMetricFamily(
            "django_hatchet_outbox_depth",
            "Runs waiting in the outbox for their send to the Hatchet engine.",
            value=depth,
        )

    def describe(self) -> list[Any]:
        return []  # Not collected at registration: it needs the database.
