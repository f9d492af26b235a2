"""The worker side: ``runworker``'s worker, running a job's function on it, the reloader,
and the outbox relay. A web process never imports this package."""

from .worker import Worker, check_can_start, engine_error, inline_message, select_jobs

__all__ = ["Worker", "check_can_start", "engine_error", "inline_message", "select_jobs"]
