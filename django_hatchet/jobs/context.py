"""What a job with ``takes_context=True`` receives as its first argument."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NoReturn

from ..exceptions import Retry

if TYPE_CHECKING:
    from .job import Job

logger = logging.getLogger("django_hatchet.jobs")


class JobContext:
    """The run a job's function is executing: its ids, its attempt, and its log."""

    def __init__(
        self,
        job: Job[Any, Any],
        run_id: str,
        attempt: int = 1,
        engine_run_id: str | None = None,
        hatchet: Any = None,
    ) -> None:
        self.job = job
        #: The id ``.delay()`` returned.
        self.run_id = run_id
        #: 1 on the first attempt, 2 on the first retry, and so on.
        self.attempt = attempt
        #: The engine's id for the run (None inline).
        self.engine_run_id = engine_run_id
        #: The SDK's context on a worker (None inline).
        self.hatchet = hatchet

    def __repr__(self) -> str:
        return (
            f"JobContext(job={self.job!r}, run_id={self.run_id!r}, attempt={self.attempt}, "
            f"engine_run_id={self.engine_run_id!r})"
        )

    @property
    def name(self) -> str:
        return self.job.name

    @property
    def request(self) -> SimpleNamespace:
        """Celery's ``self.request``: ``id`` (the run id) and ``retries`` (attempts so far)."""
        return SimpleNamespace(id=self.run_id, retries=self.attempt - 1, attempt=self.attempt)

    def retry(self, exc: BaseException | None = None, **celery_options: Any) -> NoReturn:
        """Fail this attempt so that the engine retries the run (if it has retries left).

        Celery's ``raise self.retry(exc=exc)`` works as written. ``countdown``, ``eta`` and
        ``max_retries`` are not applied: the delay comes from the job's backoff, the number
        of attempts from its ``retries`` (see docs/migrating-from-celery.md).
        """
        unknown = set(celery_options) - {"countdown", "eta", "max_retries", "args", "kwargs"}
        if unknown:
            raise TypeError(f"retry() got unexpected arguments: {', '.join(sorted(unknown))}")
        raise Retry(exc=exc) from exc

    def log(self, message: str) -> None:
        """Write a line to the run's log in Hatchet (and to the ``django_hatchet.jobs`` logger)."""
        logger.info("%s [%s]: %s", self.job.name, self.run_id, message)
        if self.hatchet is not None:
            self.hatchet.log(message)
