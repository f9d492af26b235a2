"""The log lines a job writes, in its run's log on the engine, whatever the project's logging.

The SDK forwards to a run's log the records that reach the root logger while the run goes
on (its ``LogForwardingHandler``, added to the root logger for each run). A logger that the
project's ``LOGGING`` configures with ``"propagate": False`` (a common way to keep an app's
lines out of the root's handlers) never reaches it, so its lines were missing from the run's
log. ``capture_unpropagated()`` gives each such logger a handler that forwards its records, in
a run, the same way; the records of the others still reach the SDK's, so none is sent twice.
"""

from __future__ import annotations

import logging

#: Loggers whose lines are never forwarded here: the SDK's own (``hatchet``: a warning it logs
#: about its full queue would go back into the queue), and ours (``context.log`` sends its
#: line itself; the worker's report of each attempt is about the run, not of it).
SKIPPED = ("hatchet", "hatchet_sdk", "django_hatchet", "grpc")


class RunLogForwarder(logging.Handler):
    """Sends a record emitted while a run goes on to that run's log on the engine."""

    def emit(self, record: logging.LogRecord) -> None:
        from hatchet_sdk.runnables.contextvars import (
            ctx_hatchet_context,
            ctx_step_run_id,
            ctx_task_retry_count,
        )
        from hatchet_sdk.utils.typing import LogLevel
        from hatchet_sdk.worker.runner.utils.capture_logs import LogRecord

        context, step_run_id = ctx_hatchet_context.get(), ctx_step_run_id.get()
        if context is None or not step_run_id:
            return  # Not in a run: the logger's own handlers have it.
        try:
            context._log_sender.publish(
                LogRecord(
                    message=self.format(record),
                    step_run_id=step_run_id,
                    level=LogLevel.from_levelname(record.levelname),
                    task_retry_count=ctx_task_retry_count.get() or 0,
                )
            )
        except Exception:
            self.handleError(record)


def capture_unpropagated() -> list[str]:
    """Give every configured logger that does not propagate (and its lines would not reach
    the root logger) a ``RunLogForwarder``; return their names."""
    captured = []
    for name, logger in sorted(logging.root.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger) or logger.propagate:
            continue
        if name.split(".")[0] in SKIPPED:
            continue
        if any(isinstance(h, RunLogForwarder) for h in logger.handlers):
            continue
        forwarder = RunLogForwarder()
        formatter = next((h.formatter for h in logger.handlers if h.formatter), None)
        if formatter is not None:
            forwarder.setFormatter(formatter)
        logger.addHandler(forwarder)
        captured.append(name)
    return captured
