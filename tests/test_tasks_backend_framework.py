"""The Tasks framework the backend is built on (``tasks_backend/framework.py``): Django's,
else the django-tasks backport, whichever spelling of its exceptions it has; and an error that
says what is wrong when neither can be imported."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
import types
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_hatchet.tasks_backend import framework


def load_framework() -> types.ModuleType:
    """A fresh copy of framework.py, imported with ``sys.modules`` as the test made it."""
    spec = importlib.util.spec_from_file_location("tests.framework_copy", framework.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def backport(monkeypatch) -> types.ModuleType:
    """Django without django.tasks (Django 5.2, as far as the import goes), and the backport."""
    found = pytest.importorskip("django_tasks.exceptions")
    monkeypatch.setitem(sys.modules, "django.tasks", None)
    return found


def exceptions_module(**names: object) -> types.ModuleType:
    module = types.ModuleType("django_tasks.exceptions")
    for name, value in names.items():
        setattr(module, name, value)
    return module


class Renamed(Exception):
    pass


@pytest.mark.parametrize("spelling", ["InvalidTask", "InvalidTaskError"])
def test_the_backports_exceptions_in_either_spelling(backport, monkeypatch, spelling):
    # django-tasks up to 0.12 says InvalidTaskError; its main branch, as Django, InvalidTask.
    exceptions = exceptions_module(
        TaskResultDoesNotExist=backport.TaskResultDoesNotExist, **{spelling: Renamed}
    )
    monkeypatch.setitem(sys.modules, "django_tasks.exceptions", exceptions)
    loaded = load_framework()
    assert loaded.InvalidTask is Renamed
    assert loaded.BaseTaskBackend.__module__ == "django_tasks.backends.base"


def test_no_framework_at_all(monkeypatch):
    monkeypatch.setitem(sys.modules, "django.tasks", None)
    monkeypatch.setitem(sys.modules, "django_tasks", None)
    with pytest.raises(ImproperlyConfigured, match=r"needs Django's Tasks framework") as caught:
        load_framework()
    assert "pip install 'django-hatchet[tasks]'" in str(caught.value)


def test_a_backport_release_without_the_names_it_needs(backport, monkeypatch):
    # django-tasks 0.8 has no django_tasks.base (nor TaskError, normalize_json...).
    monkeypatch.setitem(sys.modules, "django_tasks.base", None)
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.8.1")
    with pytest.raises(ImproperlyConfigured) as caught:
        load_framework()
    message = str(caught.value)
    assert "django-tasks 0.8.1 is installed" in message
    assert f"supports django-tasks {framework.BACKPORT_VERSIONS} on Django 5.2" in message
    assert "django_tasks.base" in message
    assert "needs Django's Tasks framework" not in message


def test_a_backport_release_before_successful(backport, monkeypatch):
    # django-tasks 0.9 to 0.11 have all the names, but their status is SUCCEEDED.
    from django.db.models import TextChoices

    class OldStatus(TextChoices):
        READY = "READY"
        RUNNING = "RUNNING"
        FAILED = "FAILED"
        SUCCEEDED = "SUCCEEDED"

    old = types.ModuleType("django_tasks")
    vars(old).update(vars(sys.modules["django_tasks"]), TaskResultStatus=OldStatus)
    monkeypatch.setitem(sys.modules, "django_tasks", old)
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.11.0")
    with pytest.raises(ImproperlyConfigured, match=r"django-tasks 0\.11\.0 is installed") as caught:
        load_framework()
    assert "SUCCEEDED" in str(caught.value)


def test_the_supported_range_is_the_one_pyproject_installs():
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert f'tasks = ["django-tasks{framework.BACKPORT_VERSIONS}"]' in pyproject
    assert f'"django-tasks{framework.BACKPORT_VERSIONS}",' in pyproject  # bench
