"""What a worker says about its runs: one line per attempt, in the project's log format.

Each attempt ends with a line on the ``django_hatchet.worker`` logger that an operator can
grep for a run id or a job: INFO when it completed, WARNING when it failed and the engine
retries it, ERROR when it failed for good. The traceback goes to DEBUG (the admin shows it
too). The SDK's own per-run lines (its start and finish of each step, the traceback it logs
twice for a failure, its copy of each ``context.log()`` line) are left out of the worker's
output, unless ``runworker --verbosity 3``; but not the "rx: start step run" line of its
listener process, which this process cannot configure.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

logger = logging.getLogger("django_hatchet.worker")

#: The SDK's lines about each run (its ``hatchet`` logger, in the worker's main process).
SDK_RUN_LINES = ("run: start step", "finished step run:", "failed step run:", "cancel: step run")
#: Django's format (``django.server``'s, with the logger's name), for a project with none.
FORMAT = "[{asctime}] {levelname} {name}: {message}"


def took(started: float) -> str:
    seconds = time.monotonic() - started
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def attempt_completed(job: str, run_id: str, attempt: int, started: float) -> None:
    logger.info("%s run %s completed in %s (attempt %d).", job, run_id, took(started), attempt)


def attempt_failed(
    job: str,
    run_id: str,
    attempt: int,
    attempts: int,
    exc: BaseException,
    started: float,
    retried: bool,
) -> None:
    """One line: WARNING when the engine retries the run, ERROR when it does not."""
    what = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    then = "the engine retries it" if retried else _why_final(attempt, attempts)
    logger.log(
        logging.WARNING if retried else logging.ERROR,
        "%s run %s failed on attempt %d of %d in %s: %s; %s.",
        job,
        run_id,
        attempt,
        attempts,
        took(started),
        what,
        then,
    )
    logger.debug("%s run %s attempt %d: the traceback", job, run_id, attempt, exc_info=exc)


def _why_final(attempt: int, attempts: int) -> str:
    return "no retries left" if attempt >= attempts else "not retried (it cannot succeed)"


class _SdkRunLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith(SDK_RUN_LINES):
            return False
        # The copy its Context.log() makes of a job's context.log() line, which the
        # ``django_hatchet.jobs`` logger has already said.
        return not (record.funcName == "log" and record.pathname.endswith("context.py"))


def configure(verbosity: int, stream: Any = None) -> None:
    """Make the worker's output: the lines above through the project's logging (or, when it
    has no handler for them, to ``stream`` in Django's format); the SDK's per-run lines only
    at ``verbosity`` 3."""
    ours = logging.getLogger("django_hatchet")
    if not ours.hasHandlers():  # No LOGGING for it: say it on the worker's output.
        handler = logging.StreamHandler(stream or sys.stdout)
        handler.setFormatter(logging.Formatter(FORMAT, style="{"))
        ours.addHandler(handler)
        if ours.level == logging.NOTSET:
            ours.setLevel(logging.DEBUG if verbosity >= 3 else logging.INFO)
    sdk = logging.getLogger("hatchet")
    if verbosity < 3 and not any(isinstance(f, _SdkRunLines) for f in sdk.filters):
        sdk.addFilter(_SdkRunLines())
