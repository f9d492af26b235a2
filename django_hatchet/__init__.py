"""Celery-style background jobs for Django, run durably on Hatchet."""

from __future__ import annotations

from .conf import conf as _conf
from .exceptions import JobCancelled, JobError, JobFailed, JobNotDispatched, JobTimeout
from .job_registry import registry
from .jobs import AsyncJob, Job, JobOptions, Priority, job
from .runs import JobRun, RunStatus

__all__ = [
    "AsyncJob",
    "Job",
    "JobCancelled",
    "JobError",
    "JobFailed",
    "JobNotDispatched",
    "JobOptions",
    "JobRun",
    "JobTimeout",
    "Priority",
    "RunStatus",
    "job",
    "jobs_enabled",
    "registry",
]


def jobs_enabled() -> bool:
    """True when jobs go to a Hatchet engine; False when they run inline."""
    return not _conf.INLINE
