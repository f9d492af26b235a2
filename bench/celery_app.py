"""Celery's peers: the same job on a broker the bench starts.

- Redis (``redis://``): Celery's most common set-up, not durable (the non-durable reference);
- RabbitMQ (``amqp://``): what Celery users run when they cannot lose a job, configured as
  Celery's docs say for that: persistent messages on durable queues, publisher confirms,
  ``acks_late`` with ``reject_on_worker_lost`` (a job whose worker dies is delivered again),
  and a prefetch of one per process.

The worker's broker is ``BENCH_CELERY_BROKER`` (``celery -A bench.celery_app worker``); the
bench's own process makes one app per broker with ``make``.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

from bench import probe

DEFAULT_BROKER = "redis://127.0.0.1:6399/0"


def make(broker: str) -> tuple[Celery, Any]:
    """A Celery app on ``broker`` and its no-op job."""
    app = Celery("bench", broker=broker, set_as_current=False)
    app.conf.update(
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
    )
    if broker.startswith("amqp"):
        app.conf.update(
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,
            task_default_delivery_mode="persistent",
            broker_transport_options={"confirm_publish": True},
        )

    @app.task(name="bench.noop")
    def noop(path: str, enqueued_at: float) -> None:
        probe.hit(path, enqueued_at)

    return app, noop


app, noop = make(os.environ.get("BENCH_CELERY_BROKER", DEFAULT_BROKER))
