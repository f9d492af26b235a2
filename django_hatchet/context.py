"""What a job with ``takes_context=True`` receives as its first argument."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .jobs import Job

logger = logging.getLogger("django_hatchet.jobs")


@dataclass
class JobContext:
    """The run a job's function is executing: its ids, its attempt, and its log."""

    job: Job[Any, Any]
    #: The id ``.delay()`` returned.
    run_id: str
    #: 1 on the first attempt, 2 on the first retry, and so on.
    attempt: int = 1
    #: The engine's id for the run (None inline).
    engine_run_id: str | None = None
    #: The SDK's context on a worker (None inline).
    hatchet: Any = field(default=None, repr=False)

    def log(self, message: str) -> None:
        """Write a line to the run's log in Hatchet (and to the ``django_hatchet.jobs`` logger)."""
        logger.info("%s [%s]: %s", self.job.name, self.run_id, message)
        if self.hatchet is not None:
            self.hatchet.log(message)
