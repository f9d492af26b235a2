"""Exceptions raised by job handles."""

from __future__ import annotations


class JobError(Exception):
    """Base class of the errors a job handle raises about its run."""

    def __init__(self, message: str, *, run_id: str | None = None, job_name: str | None = None):
        super().__init__(message)
        self.run_id = run_id
        self.job_name = job_name


class JobFailed(JobError):
    """A run on the engine failed; carries the original exception's type, message and traceback.

    In inline mode ``.get()`` raises the original exception itself instead.
    """

    def __init__(
        self,
        message: str,
        *,
        exc_type: str,
        exc_message: str,
        traceback: str,
        run_id: str | None = None,
        job_name: str | None = None,
    ):
        super().__init__(message, run_id=run_id, job_name=job_name)
        self.exc_type = exc_type
        self.exc_message = exc_message
        self.traceback = traceback

    def __str__(self) -> str:
        return (
            f"{self.args[0]}\n\nOriginal traceback:\n{self.traceback}"
            if self.traceback
            else self.args[0]
        )


class NonRetryable(Exception):
    """Raise it in a job to fail the run at once, without the retries it has left."""


class Retry(Exception):
    """Raised by ``context.retry()`` (Celery's ``self.retry()``): retry this run, if it has
    retries left, whatever ``retry_on`` says."""

    def __init__(self, message: str = "Retry requested", exc: BaseException | None = None):
        super().__init__(message if exc is None else f"{type(exc).__name__}: {exc}")
        self.exc = exc


class RunNotFound(JobError, LookupError):
    """``get_run(id)`` found no run with that id: not on the engine, not scheduled, not
    waiting in the outbox."""


class JobCancelled(JobError):
    """The run was cancelled, or never dispatched because its transaction rolled back."""


class JobNotDispatched(JobError):
    """The run waits for the transaction it was enqueued in to commit."""


class JobTimeout(JobError, TimeoutError):
    """``.get(timeout=...)`` gave up before the run finished."""


class EngineUnreachable(JobNotDispatched):
    """The Hatchet engine could not be reached when the run was enqueued, and the job's policy
    (``HATCHET_ON_UNREACHABLE`` or ``@job(on_unreachable=...)``) is ``"raise"``: the run was
    not stored anywhere."""


class ArgumentsRefused(TypeError):
    """A job (or a workflow's step, ``where``) cannot take the arguments of a call: ``str()``
    is ``<where>(): <reason>``, as Python words a bad call."""

    def __init__(self, where: str, reason: str, parameters: str = "") -> None:
        super().__init__(f"{where}(): {reason}")
        self.where, self.reason, self.parameters = where, reason, parameters
