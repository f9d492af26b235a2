"""Every ```python block of README.md and docs/*.md runs, one test each: ``README.md:10``.

Each block runs in inline mode (the test settings have no token), as a module of its own,
in a project's ordinary autocommit, so that ``transaction.atomic()`` commits and its
on-commit dispatch happens as the docs say (the database is flushed after each test). The
names of the reader's own code that the examples use without showing it (``Order``,
``order``, ``send_receipt``...) come from tests/docs_shop.py; the rest an example imports.
A run that fails inline fails the test, since inline mode only logs it.

A block that is not a stand-alone script says so in an HTML comment on the line just above
its fence, invisible on the site and on GitHub, with one or more of these words:

- ``<!-- example: settings -->``: a fragment of a settings.py. Each ``HATCHET_*`` name it
  defines must be a django-hatchet setting with a valid value (``setting_error``), and the
  system checks must pass with its settings in effect, but for ``django_hatchet.E004`` (a
  cron naming a job of the reader's project that the page does not show). Its settings stay in
  effect for the blocks that continue it (a value with ``...`` in it is not applied).
- ``<!-- example: continues -->``: runs after the previous block of the page, in its
  namespace (and with its settings).
- ``<!-- example: module=orders.tasks -->``: the file it is (``# orders/tasks.py``): it runs
  as that module, so its jobs have the names the docs give them and relative imports work.
- ``<!-- example: not-run: the reason -->``: cannot run in a unit test (it needs an engine).
  ``test_the_examples_that_do_not_run`` pins the list of those.

A block that defines ``test_*`` functions has them called (with pytest-django's ``client``
and ``db`` as the only fixtures), and one that defines ``TestCase`` classes has their tests
run, as a test runner would.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
import textwrap
import traceback
import types
import unittest
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.core import checks
from django.db import connection
from django.test import Client, override_settings

from django_hatchet.conf import SETTINGS, setting_error
from django_hatchet.runs import RunStatus
from django_hatchet.signals import job_finished

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHOP = Path(__file__).with_name("docs_shop.py")

#: The blocks that cannot run here, by page and reason (``<!-- example: not-run: ... -->``).
NOT_RUN = {
    (
        "docs/testing.md",
        "needs a Hatchet engine and a worker (tests/test_testing_worker.py runs this fixture "
        "on one)",
    ),
}

#: The fixtures a block's test functions may ask for.
FIXTURES: dict[str, Callable[[], Any]] = {
    "client": Client,
    "db": lambda: None,
    "transactional_db": lambda: None,
}
_MISSING = object()

FENCE_RE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
MARKER_RE = re.compile(r"^\s*<!--\s*example:\s*(?P<words>.*?)\s*-->\s*$")
PYTHON = {"python", "py", "python3"}


@dataclass
class Example:
    path: str  # "docs/jobs.md"
    line: int  # the fence's
    code: str
    settings: bool = False
    continues: bool = False
    module: str | None = None
    not_run: str | None = None
    previous: Example | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"

    def chain(self) -> list[Example]:
        """The blocks to run, in order: those it continues, then itself."""
        blocks = [self]
        while blocks[0].continues:
            assert blocks[0].previous is not None
            blocks.insert(0, blocks[0].previous)
        return blocks

    def compiled(self) -> types.CodeType:
        # Blank lines first, so that a traceback names the line of the page.
        source = "\n" * self.line + self.code
        return compile(source, str(ROOT / self.path), "exec", dont_inherit=True)


def read_marker(example: Example, words: str) -> None:
    rest = words
    while rest:
        word, _, rest = rest.partition(" ")
        if word.startswith("not-run:"):
            example.not_run = f"{word.removeprefix('not-run:')} {rest}".strip()
            if not example.not_run:
                raise ValueError(f"{example.id}: say why the example does not run")
            return
        if word == "settings":
            example.settings = True
        elif word == "continues":
            example.continues = True
        elif word.startswith("module="):
            example.module = word.removeprefix("module=")
        elif word:
            raise ValueError(f"{example.id}: unknown word {word!r} in <!-- example: {words} -->")


def read_page(path: Path) -> list[Example]:
    """The page's ```python blocks, with the marker above each."""
    name = path.relative_to(ROOT).as_posix()
    lines = path.read_text().splitlines()
    examples: list[Example] = []
    i = 0
    while i < len(lines):
        opening = FENCE_RE.match(lines[i])
        if not opening:
            if MARKER_RE.match(lines[i]) and not (
                i + 1 < len(lines) and FENCE_RE.match(lines[i + 1])
            ):
                raise ValueError(f"{name}:{i + 1}: an example marker must be just above a fence")
            i += 1
            continue
        marker = MARKER_RE.match(lines[i - 1]) if i else None
        fence = opening["fence"]
        end = i + 1
        while end < len(lines) and not (
            lines[end].strip().startswith(fence) and not lines[end].strip().strip(fence[0])
        ):
            end += 1
        if end == len(lines):
            raise ValueError(f"{name}:{i + 1}: the fence is never closed")
        if opening["info"].lower() in PYTHON:
            example = Example(name, i + 1, textwrap.dedent("\n".join(lines[i + 1 : end])) + "\n")
            if marker:
                read_marker(example, marker["words"])
            if example.continues:
                if not examples:
                    raise ValueError(f"{example.id}: the first block of a page cannot continue")
                example.previous = examples[-1]
            examples.append(example)
        elif marker:
            raise ValueError(f"{name}:{i + 1}: an example marker above a {opening['info']!r} block")
        i = end + 1
    return examples


EXAMPLES = [example for page in PAGES for example in read_page(page)]
RUNNABLE = [example for example in EXAMPLES if example.not_run is None]


# The reader's project ------------------------------------------------------------------------


@pytest.fixture
def shop(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """tests/docs_shop.py, afresh, with its tables, as ``orders.models`` and the URLconf; the
    namespace every example starts with."""
    spec = importlib.util.spec_from_file_location("tests.docs_shop", SHOP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "tests.docs_shop", module)
    spec.loader.exec_module(module)
    # The reader's app: `from .models import Order` in orders/tasks.py.
    orders = types.ModuleType("orders")
    orders.__path__ = []
    models = types.ModuleType("orders.models")
    vars(models).update(Order=module.Order, Upload=module.Upload)
    vars(orders).update(models=models)
    monkeypatch.setitem(sys.modules, "orders", orders)
    monkeypatch.setitem(sys.modules, "orders.models", models)
    # An example may register a ModelAdmin: on a copy of the admin's registry.
    admin_registry = admin.site._registry
    admin.site._registry = dict(admin_registry)
    with connection.schema_editor() as editor:
        for model in module.MODELS:
            editor.create_model(model)
    try:
        with override_settings(ROOT_URLCONF="tests.docs_shop"):
            yield module.given()
    finally:
        admin.site._registry = admin_registry
        with connection.schema_editor() as editor:
            for model in module.MODELS:
                editor.delete_model(model)


# Running a block ------------------------------------------------------------------------------


class ExampleFailed(Exception):
    pass


def contains_ellipsis(value: Any) -> bool:
    if value is Ellipsis:
        return True
    if isinstance(value, dict):
        return any(contains_ellipsis(v) for v in value.values())
    if isinstance(value, (list, tuple, set)):
        return any(contains_ellipsis(v) for v in value)
    return False


def check_settings(example: Example, defined: dict[str, Any]) -> dict[str, Any]:
    """Validate a settings block's HATCHET_* names; return the settings to apply."""
    names = {name: value for name, value in defined.items() if name.isupper()}
    if not names:
        raise ExampleFailed(f"{example.id}: a settings example that defines no setting")
    for name, value in names.items():
        if name.startswith("HATCHET_"):
            if name not in SETTINGS:
                raise ExampleFailed(f"{example.id}: {name} is not a django-hatchet setting")
            error = setting_error(name, value)
            if error:
                raise ExampleFailed(f"{example.id}: {error}")
    return {name: value for name, value in names.items() if not contains_ellipsis(value)}


def system_check_errors() -> list[str]:
    return [
        f"{message.id}: {message.msg}"
        for message in checks.run_checks()
        if message.id
        and message.id.startswith("django_hatchet.")
        and message.id != "django_hatchet.E004"
        and message.level >= checks.WARNING
    ]


def call_tests(example: Example, defined: dict[str, Any], module_name: str) -> None:
    """Call the test functions the block defines, and run its TestCase classes."""
    for name, value in defined.items():
        if getattr(value, "__module__", None) != module_name:
            continue  # Imported, not defined here.
        if name.startswith("test_") and inspect.isfunction(value):
            arguments = {}
            for parameter in inspect.signature(value).parameters:
                if parameter not in FIXTURES:
                    raise ExampleFailed(
                        f"{example.id}: {name}() asks for the fixture {parameter!r}; the "
                        f"examples' tests may use {', '.join(FIXTURES)}"
                    )
                arguments[parameter] = FIXTURES[parameter]()
            value(**arguments)
        elif isinstance(value, type) and issubclass(value, unittest.TestCase):
            result = unittest.TestResult()
            unittest.defaultTestLoader.loadTestsFromTestCase(value).run(result)
            problems = [text for _, text in result.errors + result.failures]
            if problems or not result.testsRun:
                raise ExampleFailed(
                    f"{example.id}: {name} ran {result.testsRun} test(s):\n" + "\n".join(problems)
                )


def run_block(example: Example, namespace: dict[str, Any], stack: ExitStack) -> None:
    failed: list[str] = []

    def record(sender: Any, status: RunStatus, error: BaseException | None, **kwargs: Any) -> None:
        if status is RunStatus.FAILED:
            failed.append(f"{sender.name} (run {kwargs['run_id']}): {error!r}")

    before = dict(namespace)
    job_finished.connect(record, weak=False)
    try:
        exec(example.compiled(), namespace)
        defined = {k: v for k, v in namespace.items() if before.get(k, _MISSING) is not v}
        call_tests(example, defined, namespace["__name__"])
    finally:
        job_finished.disconnect(record)
    if failed:
        raise ExampleFailed(f"{example.id}: runs failed inline:\n  " + "\n  ".join(failed))
    if example.settings:
        stack.enter_context(override_settings(**check_settings(example, defined)))
        errors = system_check_errors()
        if errors:
            raise ExampleFailed(f"{example.id}: manage.py check says:\n  " + "\n  ".join(errors))


def explain(example: Example, error: BaseException) -> str:
    """Where the example failed (its page and line) and the traceback from there on."""
    pages = {str(page) for page in PAGES}
    frames = traceback.extract_tb(error.__traceback__)
    ours = [i for i, frame in enumerate(frames) if frame.filename in pages]
    where = ""
    if ours:
        frame = frames[ours[-1]]
        where = f"{Path(frame.filename).relative_to(ROOT)}, line {frame.lineno}: "
        frames = traceback.StackSummary.from_list(frames[ours[0] :])
    text = "".join(traceback.format_list(frames)) + "".join(
        traceback.format_exception_only(type(error), error)
    )
    return (
        f"{where}the example at {example.id} raised {type(error).__name__}: {error}\n\n"
        f"Traceback (most recent call last):\n{text}"
    )


@pytest.mark.parametrize("example", RUNNABLE, ids=[example.id for example in RUNNABLE])
def test_example(example: Example, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = example.chain()
    module = types.ModuleType(blocks[0].module or "example")
    module.__file__ = str(ROOT / blocks[0].path)
    module.__package__ = module.__name__.rpartition(".")[0]
    vars(module).update(shop)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    with ExitStack() as stack:
        stack.callback(forget_observability)
        for block in blocks:
            if block is not blocks[0] and block.module is not None:
                pytest.fail(f"{block.id}: a block that continues cannot be a module of its own")
            try:
                run_block(block, vars(module), stack)
            except ExampleFailed as failure:
                pytest.fail(str(failure), pytrace=False)
            except Exception as error:
                pytest.fail(explain(block, error), pytrace=False)


def forget_observability() -> None:
    """What an example of docs/integrations.md set up process-wide, as a project does at
    start-up (OpenTelemetry's tracer provider), is undone for the tests after it."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is not None:
        from tests.observability import set_provider

        set_provider(trace, None)


def test_the_examples_that_do_not_run() -> None:
    """Only the pinned blocks are left out, and they are valid Python still."""
    left_out = [example for example in EXAMPLES if example.not_run is not None]
    assert {(example.path, example.not_run) for example in left_out} == NOT_RUN, [
        example.id for example in left_out
    ]
    for example in left_out:
        example.compiled()


def test_every_page_is_read() -> None:
    assert len(EXAMPLES) > 30
    assert {example.path for example in EXAMPLES} >= {"README.md", "docs/index.md"}


def test_the_markers() -> None:
    example = Example("docs/x.md", 3, "")
    read_marker(example, "settings continues module=orders.tasks")
    assert (example.settings, example.continues, example.module) == (True, True, "orders.tasks")
    read_marker(example, "not-run: needs an engine")
    assert example.not_run == "needs an engine"
    with pytest.raises(ValueError, match="unknown word 'setting'"):
        read_marker(example, "setting")


def test_the_api_reference_covers_the_public_api() -> None:
    """docs/reference.md documents every name of ``django_hatchet.__all__`` and of
    ``django_hatchet.testing.__all__`` (``registry`` by its class)."""
    import django_hatchet
    import django_hatchet.testing

    documented = set()
    for path in re.findall(r"^::: (\S+)$", (ROOT / "docs" / "reference.md").read_text(), re.M):
        module, _, name = path.rpartition(".")
        documented.add(id(getattr(importlib.import_module(module), name)))
    missing = [
        name
        for package in (django_hatchet, django_hatchet.testing)
        for name in package.__all__
        if not {id(getattr(package, name)), id(type(getattr(package, name)))} & documented
    ]
    assert missing == []
