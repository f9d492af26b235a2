"""What running the django-tasks backport's suite against HatchetBackend changes: the backend
in its settings, where its tasks module comes from, and the tests left out, each with why."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from typing import Any

UPSTREAM = Path(__file__).resolve().parent / "upstream"
#: The django-tasks release the files of upstream/ come from (README.md).
VENDORED_VERSION = "0.12.0"
IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"
HATCHET = "django_hatchet.tasks_backend.HatchetBackend"
URLS = "tests.django_tasks_suite.upstream.urls"

IMMEDIATE_ONLY = "asserts that the backend is ImmediateBackend"
NO_RESULTS = "ImmediateBackend cannot get results; HatchetBackend can (supports_get_result)"
NO_DEFER = "ImmediateBackend refuses run_after; HatchetBackend takes it (supports_defer)"
QUEUE_RULE = (
    "HatchetBackend refuses using(queue_name=...) with a queue other than the task's "
    "(docs/django-tasks.md, Queues)"
)
_BACKEND = "test_immediate_backend.py::ImmediateBackendTestCase::"
_TASKS = "test_tasks.py::TaskTestCase::"
#: Upstream tests (file::class::test) that HatchetBackend fails on purpose: why, and the
#: exception they fail with (a builtin's name, or one of tasks_backend.framework). They run as
#: strict expected failures: one that starts passing, or fails otherwise, fails the run.
EXCLUDED: dict[str, tuple[str, str]] = {
    _BACKEND + "test_using_correct_backend": (IMMEDIATE_ONLY, "AssertionError"),
    _TASKS + "test_get_backend": (IMMEDIATE_ONLY, "AssertionError"),
    # ImmediateBackend raises NotImplementedError; HatchetBackend says the id is not a result.
    _BACKEND + "test_cannot_get_result": (NO_RESULTS, "TaskResultDoesNotExist"),
    _BACKEND + "test_cannot_refresh_result": (NO_RESULTS, "AssertionError"),
    _BACKEND + "test_get_result_from_different_request": (NO_RESULTS, "AssertionError"),
    _BACKEND + "test_cannot_pass_run_after": (NO_DEFER, "AssertionError"),
    _BACKEND + "test_validate_on_enqueue": (QUEUE_RULE, "InvalidTask"),
    _BACKEND + "test_validate_on_aenqueue": (QUEUE_RULE, "InvalidTask"),
    _TASKS + "test_unknown_queue_name": (QUEUE_RULE, "InvalidTask"),
}


def upstream_tests() -> list[str]:
    """Every test of the vendored suite, as file::class::test."""
    found = []
    for path in sorted((UPSTREAM / "tests").glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                found += [
                    f"{path.name}::{node.name}::{item.name}"
                    for item in node.body
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and item.name.startswith("test")
                ]
    return found


def not_applicable() -> str | None:
    """Why the suite cannot run in this environment, or None."""
    try:
        import django_tasks
    except ImportError:
        return "the django-tasks backport is not installed"
    from django_hatchet.tasks_backend import framework

    if not framework.BaseTaskBackend.__module__.startswith("django_tasks."):
        return (
            "HatchetBackend is a backend of Django's own django.tasks here (Django 6), and the "
            "backport's suite tests the backport's classes and signals"
        )
    if django_tasks.__version__ != VENDORED_VERSION:
        return (
            f"the suite comes from django-tasks {VENDORED_VERSION}, and "
            f"{django_tasks.__version__} is installed (README.md says how to refresh it)"
        )
    return None


def load_tasks() -> None:
    """Import upstream/tasks.py as ``tests.tasks``, the module the suite imports, with
    HatchetBackend as the default backend (as a project's tasks module would be)."""
    from django.test import override_settings

    from django_hatchet.jobs.registry import registry

    spec = importlib.util.spec_from_file_location("tests.tasks", UPSTREAM / "tasks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # upstream/views.py imports it relatively: the same module under both names.
    sys.modules["tests.tasks"] = sys.modules["tests.django_tasks_suite.upstream.tasks"] = module
    with override_settings(TASKS={"default": {"BACKEND": HATCHET}}):
        spec.loader.exec_module(module)
    # Defining a task registers its job. Our other tests must not see these: they are
    # registered again when used, and forgotten after each test, as all jobs are.
    for name in [name for name in registry._jobs if name.startswith("tests.tasks.")]:
        registry.unregister(name)


def hatchet_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """An upstream test class's settings, with HatchetBackend for ImmediateBackend."""
    tasks = {
        alias: {**params, "BACKEND": HATCHET} if params.get("BACKEND") == IMMEDIATE else params
        for alias, params in settings.get("TASKS", {}).items()
    }
    return {**settings, "TASKS": tasks, "ROOT_URLCONF": URLS}
