"""Celery's peer: the same job on a Redis broker that the bench starts (BENCH_REDIS_URL)."""

from __future__ import annotations

import os

from celery import Celery

from bench import probe

app = Celery("bench", broker=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6399/0"))
app.conf.update(
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


@app.task(name="bench.noop")
def noop(path: str, enqueued_at: float) -> None:
    probe.hit(path, enqueued_at)
