"""The django-tasks backport's own tests (``upstream/``, unmodified: README.md), run against
``HatchetBackend`` inline. The adaptation is ``adaptation.py``; this applies it:

- ``tests.tasks``, the tasks module the suite imports, is ``upstream/tasks.py``;
- each upstream test class's settings name HatchetBackend where they named ImmediateBackend,
  and the suite's own URLs (its views enqueue tasks);
- the tests in ``EXCLUDED`` are strict expected failures, each with its reason.

Where HatchetBackend is not a backport backend (Django 6) or the backport is another release,
the upstream files are not collected; ``test_conformance.py`` reports why.
"""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from .adaptation import EXCLUDED, UPSTREAM, hatchet_settings, load_tasks
from .adaptation import not_applicable as _not_applicable

NOT_APPLICABLE = _not_applicable()
collect_ignore_glob = ["upstream/*"] if NOT_APPLICABLE else []
if not NOT_APPLICABLE:
    load_tasks()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if NOT_APPLICABLE:
        return
    from django_hatchet.tasks_backend import framework

    adapted: set[type[Any]] = set()
    for item in items:
        cls = getattr(item, "cls", None)  # A pytest.Function's; upstream's are all in classes.
        if UPSTREAM not in item.path.parents or cls is None:
            continue
        if cls not in adapted:
            cls._overridden_settings = hatchet_settings(cls._overridden_settings)
            adapted.add(cls)
        excluded = EXCLUDED.get(f"{item.path.name}::{cls.__name__}::{item.name}")
        if excluded is not None:
            reason, name = excluded
            raises = getattr(builtins, name, None) or getattr(framework, name)
            item.add_marker(pytest.mark.xfail(reason=reason, raises=raises, strict=True))
