"""The registry of every job, filled by ``@job`` and by autodiscovery."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import autodiscover_modules, module_has_submodule

from ..conf import conf

if TYPE_CHECKING:
    from .job import Job

logger = logging.getLogger("django_hatchet")


class JobRegistry:
    """Jobs by name. Hatchet compares names without case, so this registry does too."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job[Any, Any]] = {}
        #: Jobs modules that failed to import when discovered: module -> "Type: message (where)".
        self.import_errors: dict[str, str] = {}

    def register(self, job: Job[Any, Any]) -> None:
        key = job.name.lower()
        existing = self._jobs.get(key)
        if existing is not None and not _same_function(existing, job):
            from .job import describe_function

            same = (
                "the job name"
                if existing.name == job.name
                else "job names that differ only in case"
            )
            raise ValueError(
                f"Duplicate job name {job.name!r}: {describe_function(job.func)} and "
                f"{describe_function(existing.func)} have {same} (Hatchet ignores case). "
                "Give one of them another name with @job(name=...)."
            )
        self._jobs[key] = job

    def unregister(self, name: str) -> None:
        del self._jobs[name.lower()]

    def get(self, name: str) -> Job[Any, Any] | None:
        job = self._jobs.get(name.lower())
        return job if job is not None and job.name == name else None

    def __getitem__(self, name: str) -> Job[Any, Any]:
        job = self.get(name)
        if job is None:
            raise KeyError(f"No job is registered as {name!r}.")
        return job

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Job[Any, Any]]:
        return iter(sorted(self._jobs.values(), key=lambda job: job.name))

    def __len__(self) -> int:
        return len(self._jobs)

    def names(self) -> list[str]:
        return [job.name for job in self]

    def autodiscover(self) -> None:
        """Import the jobs modules (``HATCHET_AUTODISCOVER_MODULES``) of every installed app.

        A module that fails to import does not stop the process: it is logged, kept in
        ``import_errors``, reported by ``manage.py check`` (``django_hatchet.E011``), and
        ``runworker`` refuses to start, so that its jobs are never silently missing.
        """
        self.import_errors = {}
        try:
            autodiscover_modules(*conf.AUTODISCOVER_MODULES)
        except Exception:
            self._import_each()

    def _import_each(self) -> None:
        """Import every jobs module, recording each that fails."""
        from django.apps import apps

        for app_config in apps.get_app_configs():
            for module in conf.AUTODISCOVER_MODULES:
                name = f"{app_config.name}.{module}"
                try:
                    import_module(name)
                except Exception as exc:
                    if not module_has_submodule(app_config.module, module):
                        continue  # The app has no such module: nothing to discover.
                    self.import_errors[name] = _describe_failure(exc)
                    logger.error(
                        "The jobs module %s failed to import; its jobs are not registered.",
                        name,
                        exc_info=exc,
                    )


def _describe_failure(exc: BaseException) -> str:
    """``Type: message (file:line)``, the line being the last frame of the traceback."""
    text = f"{type(exc).__name__}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames and not isinstance(exc, SyntaxError):  # A SyntaxError's message has its place.
        text += f" ({frames[-1].filename}:{frames[-1].lineno})"
    return text


def _same_function(a: Job[Any, Any], b: Job[Any, Any]) -> bool:
    """The same function defined again, as when a module is reloaded."""
    return (
        a.name == b.name
        and a.func.__module__ == b.func.__module__
        and a.func.__qualname__ == b.func.__qualname__
    )


registry = JobRegistry()
