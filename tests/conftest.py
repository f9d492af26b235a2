from __future__ import annotations

import os
import textwrap
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from django_hatchet.conf import conf
from django_hatchet.jobs.registry import registry

pytest_plugins = ["tests.engine", "tests.admin_fixtures", "pytester"]


@pytest.fixture(autouse=True)
def _isolate() -> Iterator[None]:
    """Each test gets the registry and the environment as they were, and fresh settings."""
    jobs = dict(registry._jobs)
    # A developer's exported token or HATCHET_EMBEDDED never sends the tests to their engine.
    saved = {
        name: os.environ.pop(name, None) for name in ("HATCHET_CLIENT_TOKEN", "HATCHET_EMBEDDED")
    }
    conf.reset()
    yield
    registry._jobs.clear()
    registry._jobs.update(jobs)
    for name, value in saved.items():
        if value is not None:
            os.environ[name] = value
        else:
            os.environ.pop(name, None)
    conf.reset()


@pytest.fixture
def define() -> Callable[[str], types.ModuleType]:
    """Run source code as a module named ``tests.defined``, as a tasks module would be."""

    def run(source: str, module_name: str = "tests.defined") -> types.ModuleType:
        module = types.ModuleType(module_name)
        module.__file__ = f"/src/{module_name.replace('.', '/')}.py"
        code = compile(textwrap.dedent(source), module.__file__, "exec")
        exec(code, module.__dict__)
        return module

    return run


def messages(errors: list[Any]) -> list[str]:
    return [e.id for e in errors]


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"
