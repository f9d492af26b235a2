"""Procrastinate's peer: the bench's job as a Procrastinate task (its Django contrib finds this
module by ``PROCRASTINATE_AUTODISCOVER_MODULE_NAME``; its worker runs it:
``manage.py procrastinate worker``)."""

from procrastinate.contrib.django import app

from bench import probe


@app.task(name="bench.noop")
def noop(path: str, enqueued_at: float) -> None:
    probe.hit(path, enqueued_at)
