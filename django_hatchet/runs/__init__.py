"""Runs: the handle ``.delay()`` returns, run ids, and the records the admin shows."""

from .handle import JobRun, RunStatus

__all__ = ["JobRun", "RunStatus"]
