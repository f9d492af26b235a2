"""Jobs: ``@job``, the job it makes, the registry of every job (``jobs.registry``), and
``@about``."""

from ..options import Concurrency, Idempotency, JobOptions, Priority
from .decorator import job
from .job import AsyncJob, Job, describe_function

__all__ = [
    "AsyncJob",
    "Concurrency",
    "Idempotency",
    "Job",
    "JobOptions",
    "Priority",
    "describe_function",
    "job",
]
