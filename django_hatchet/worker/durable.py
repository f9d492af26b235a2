"""The durable half of a worker: durable jobs (and workflows with a durable step) and the
canvas orchestrator, in a process of their own.

On Hatchet v0.105.0 (with hatchet-sdk 1.43.1), a worker that registers a durable task starts
its other runs in batches, a slot pool's worth every second or so, instead of as slots free
up: 200 runs of 0.2 s on 10 slots took 31.5 s on such a worker, 5.3 s on a worker without
the durable task next to a second worker that has it (measured in this repository's
history: docs/runworker.md). So ``runworker`` runs the durable tasks in a second SDK worker,
in a child process (``<name>-durable``), and the jobs in the first. Both stop together: a
SIGTERM or SIGINT to either the worker or its process group drains both; the child stops
when its parent is gone; the worker stops (draining) when the child dies.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from typing import Any

#: The name the durable worker adds to its worker's.
SUFFIX = "-durable"


def start_durable(
    name: str,
    slots: int,
    labels: dict[str, str | int],
    job_names: list[str],
    drain_timeout: float,
    verbosity: int = 1,
    metrics: tuple[str, int] | None = None,
) -> Any:
    """Start the durable worker for these durable jobs (and the canvas orchestrator)."""
    context = multiprocessing.get_context("spawn")  # No fork of a process holding gRPC channels.
    process = context.Process(
        target=main,
        args=(
            name + SUFFIX,
            slots,
            labels,
            job_names,
            drain_timeout,
            os.getpid(),
            verbosity,
            metrics,
        ),
        name=name + SUFFIX,
    )
    process.start()
    return process


def main(
    name: str,
    slots: int,
    labels: dict[str, str | int],
    job_names: list[str],
    drain_timeout: float,
    parent: int,
    verbosity: int = 1,
    metrics: tuple[str, int] | None = None,
) -> None:
    """The durable worker process: set Django up, then run the durable tasks until stopped."""
    import django

    django.setup()
    from ..engine import worker
    from ..jobs.registry import registry
    from .report import configure

    configure(verbosity)
    if metrics is not None:
        from .worker import serve_metrics

        serve_metrics(*metrics, slots)

    stopping = threading.Event()
    threading.Thread(target=_stop_without, args=(parent, stopping), daemon=True).start()
    jobs = [job for job in registry if job.name in job_names]
    worker.start_worker(
        name,
        slots,
        labels,
        durable_tasks(jobs),
        drain_timeout,
        lambda: None,
        lambda _: stopping.set(),
        # The worker serves the SDK's healthcheck, if it is on: it stops when this one dies.
        healthcheck=False,
    )


def durable_tasks(jobs: list[Any]) -> list[Any]:
    """The definitions of these durable jobs (and workflows), and the canvas orchestrator's."""
    from ..canvas.plan import ORCHESTRATOR, ORCHESTRATOR_OPTIONS
    from ..engine.definitions import Definition
    from .canvas import orchestrate
    from .execution import definition

    return [definition(job) for job in jobs] + [
        Definition(ORCHESTRATOR, ORCHESTRATOR_OPTIONS, orchestrate)
    ]


def _stop_without(parent: int, stopping: threading.Event) -> None:
    """Drain and stop when the worker that started this process is gone (killed -9)."""
    while os.getppid() == parent:
        time.sleep(1)
    if not stopping.is_set():
        os.kill(os.getpid(), signal.SIGTERM)


def watch(process: Any, on_death: Any) -> None:
    """Call ``on_death(exitcode)`` if the durable worker stops by itself."""

    def wait() -> None:
        process.join()
        on_death(process.exitcode)

    threading.Thread(target=wait, daemon=True, name="durable-worker-watch").start()
