from __future__ import annotations

import pytest
from django.test import override_settings

from django_hatchet import registry
from django_hatchet.jobs.registry import JobRegistry
from tests.testapp import tasks

SOURCE = "from django_hatchet import job\n@job(name={name!r})\ndef {func}():\n    pass\n"


def test_autodiscovery_found_the_test_apps_jobs():
    assert "tests.testapp.tasks.add" in registry
    assert registry["tests.echo"] is tasks.echo
    assert registry.get("tests.testapp.tasks.nope") is None


def test_duplicate_name_names_both_functions(define):
    define(SOURCE.format(name="shared.name", func="first"), "app_one.tasks")
    with pytest.raises(ValueError, match=r"Duplicate job name 'shared\.name'") as info:
        define(SOURCE.format(name="shared.name", func="second"), "app_two.tasks")
    message = str(info.value)
    assert "app_two.tasks.second (/src/app_two/tasks.py:2)" in message
    assert "app_one.tasks.first (/src/app_one/tasks.py:2)" in message
    assert "@job(name=...)" in message


def test_names_that_differ_only_in_case_collide(define):
    define(SOURCE.format(name="Orders.Send", func="first"), "app_one.tasks")
    with pytest.raises(ValueError, match="differ only in case"):
        define(SOURCE.format(name="orders.send", func="second"), "app_two.tasks")


def test_redefining_the_same_function_replaces_it(define):
    first = define(SOURCE.format(name="reloaded", func="f"), "app_one.tasks")
    second = define(SOURCE.format(name="reloaded", func="f"), "app_one.tasks")
    assert registry["reloaded"] is second.f is not first.f


def test_lookup_is_exact_but_iteration_is_sorted():
    assert "tests.testapp.tasks.ADD" not in registry
    with pytest.raises(KeyError, match="No job is registered as 'nope'"):
        registry["nope"]
    names = registry.names()
    assert names == sorted(names)
    assert len(registry) == len(names)


def test_unregister():
    registry.unregister("tests.echo")
    assert "tests.echo" not in registry


@override_settings(HATCHET_AUTODISCOVER_MODULES=["jobs_elsewhere"])
def test_autodiscover_imports_the_configured_modules(monkeypatch):
    imported = []
    monkeypatch.setattr(
        "django_hatchet.jobs.registry.autodiscover_modules", lambda *names: imported.extend(names)
    )
    JobRegistry().autodiscover()
    assert imported == ["jobs_elsewhere"]
