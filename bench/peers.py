"""The peers of rows 5, 6 and 10: other job queues running the bench's job on this machine.

Each peer knows how to start its worker, enqueue many jobs at once, enqueue one job stamped
with the time (latency), and enqueue one job inside ``transaction.atomic()`` as a view does
(row 10). Each is configured as its docs recommend for production:

- Celery with Redis (``bench/celery_app.py``): the non-durable reference;
- Celery with RabbitMQ: persistent messages, publisher confirms, ``acks_late`` with
  ``reject_on_worker_lost``, prefetch 1; in a transaction, ``delay_on_commit()`` (Celery's
  way to enqueue after the commit);
- Procrastinate (its Django contrib, on the same PostgreSQL): ``defer()`` writes the job in
  the caller's transaction; its worker (``manage.py procrastinate worker``) listens for new
  jobs (LISTEN/NOTIFY) and runs ``concurrency`` of them at once;
- django-tasks-db (Django Tasks' database backend): ``enqueue()`` writes the job in the
  caller's transaction; ``manage.py db_worker`` runs one job at a time per process and polls
  every second when idle (its defaults), so it runs one process per CPU, with persistent
  database connections (bench/settings.py).

Every Celery and Procrastinate worker gets the same concurrency as django-hatchet's slots.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench.services import PYTHON, Process


class Peer:
    name: str = ""  #: its worker, in rows 5 and 6
    call: str = ""  #: its enqueue in a transaction, in row 10
    durable: bool = True

    def start(self, concurrency: int, log: Path) -> list[Process]:
        raise NotImplementedError

    def send_many(self, path: Path, n: int) -> None:
        raise NotImplementedError

    def send_one(self, path: Path) -> None:
        """One job, stamped with the time (for enqueue-to-start latency)."""
        raise NotImplementedError

    def enqueue_in_atomic(self, path: str) -> None:
        """One job inside ``transaction.atomic()``, the commit included (row 10)."""
        from django.db import transaction

        with transaction.atomic():
            self.enqueue_in_transaction(path)

    def enqueue_in_transaction(self, path: str) -> None:
        """The peer's own way to enqueue inside a transaction."""
        raise NotImplementedError


class CeleryPeer(Peer):
    def __init__(self, name: str, broker: str, durable: bool) -> None:
        from bench.celery_app import make

        self.name = name
        self.call = f"Celery `delay_on_commit()` ({name.split('(')[1].split(',')[0].rstrip(')')})"
        self.broker = broker
        self.durable = durable
        self.app, self.noop = make(broker)

    def start(self, concurrency: int, log: Path) -> list[Process]:
        env = {**os.environ, "BENCH_CELERY_BROKER": self.broker}
        args = [PYTHON, "-m", "celery", "-A", "bench.celery_app", "worker", "-c", str(concurrency)]
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"]
        return [Process(args, log, env)]

    def send_many(self, path: Path, n: int) -> None:
        for _ in range(n):
            self.noop.delay(str(path), 0.0)

    def send_one(self, path: Path) -> None:
        self.noop.delay(str(path), time.time())

    def enqueue_in_transaction(self, path: str) -> None:
        self.noop.delay_on_commit(path, 0.0)


class ProcrastinatePeer(Peer):
    name = "Procrastinate worker"
    call = "Procrastinate `defer()`"

    def __init__(self) -> None:
        from bench.benchapp.procrastinate_tasks import noop

        self.noop = noop

    def start(self, concurrency: int, log: Path) -> list[Process]:
        args = [PYTHON, "manage.py", "procrastinate", "--settings=bench.settings", "worker"]
        args += ["--concurrency", str(concurrency)]
        return [Process(args, log, dict(os.environ))]

    def send_many(self, path: Path, n: int) -> None:
        self.noop.batch_defer(*[{"path": str(path), "enqueued_at": 0.0}] * n)

    def send_one(self, path: Path) -> None:
        self.noop.defer(path=str(path), enqueued_at=time.time())

    def enqueue_in_transaction(self, path: str) -> None:
        self.noop.defer(path=path, enqueued_at=0.0)


class DatabaseTasksPeer(Peer):
    name = "django-tasks-db db_worker"
    call = "django-tasks-db `enqueue()`"

    def __init__(self) -> None:
        from bench.benchapp.db_tasks import noop

        self.noop = noop

    def start(self, concurrency: int, log: Path) -> list[Process]:
        processes = os.cpu_count() or 2
        args = [PYTHON, "manage.py", "db_worker", "--settings=bench.settings"]
        return [
            Process(args, log.with_name(f"{log.stem}-{i}{log.suffix}"), dict(os.environ))
            for i in range(processes)
        ]

    def send_many(self, path: Path, n: int) -> None:
        from django.db import transaction

        with transaction.atomic():
            for _ in range(n):
                self.noop.enqueue(str(path), 0.0)

    def send_one(self, path: Path) -> None:
        self.noop.enqueue(str(path), time.time())

    def enqueue_in_transaction(self, path: str) -> None:
        self.noop.enqueue(path, 0.0)


def durable(rabbitmq_url: str) -> list[Peer]:
    """The durable peers (a RabbitMQ node must be running at ``rabbitmq_url``)."""
    return [
        CeleryPeer("Celery worker (RabbitMQ, acks_late)", rabbitmq_url, durable=True),
        ProcrastinatePeer(),
        DatabaseTasksPeer(),
    ]


def reference(redis_url: str) -> Peer:
    return CeleryPeer("Celery worker (Redis)", redis_url, durable=False)


def stop(processes: list[Process]) -> None:
    for process in processes:
        process.stop()
