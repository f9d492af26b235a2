"""A Celery-style task module, as it reads after the migration guide's one-line change:
``from celery import shared_task`` became ``from django_hatchet import shared_task``."""

from __future__ import annotations

from django_hatchet import shared_task


class Flaky(Exception):
    pass


@shared_task
def plain_add(x: int, y: int) -> int:
    return x + y


@shared_task(bind=True, max_retries=3)
def retries_itself(self, succeed_on: int) -> dict[str, object]:
    try:
        if self.request.retries + 1 < succeed_on:
            raise Flaky(f"attempt {self.request.retries + 1}")
    except Flaky as exc:
        raise self.retry(exc=exc, countdown=1) from exc
    return {"id": self.request.id, "retries": self.request.retries, "name": self.name}


@shared_task(autoretry_for=(Flaky,), max_retries=2, retry_backoff=True, bind=True)
def autoretries(self, error: str) -> int:
    if error == "flaky" and self.request.retries < 2:
        raise Flaky("try again")
    if error == "fatal":
        raise KeyError("not retried")
    return int(self.request.retries)
