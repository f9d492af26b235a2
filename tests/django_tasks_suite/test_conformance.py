"""The conformance figure in docs/django-tasks.md is the suite's, and where the suite does
not run, the reason shows in the test report."""

from __future__ import annotations

from pathlib import Path

import pytest

from .adaptation import EXCLUDED, not_applicable, upstream_tests

DOCS = Path(__file__).resolve().parents[2] / "docs" / "django-tasks.md"


def test_the_suite_runs_here():
    reason = not_applicable()
    if reason:
        pytest.skip(f"the django-tasks backport's suite does not run here: {reason}")


def test_every_excluded_test_is_an_upstream_test():
    assert set(EXCLUDED) <= set(upstream_tests())


def test_the_docs_give_the_figure_and_every_exclusion():
    docs = DOCS.read_text()
    total = len(upstream_tests())
    assert f"{total - len(EXCLUDED)} of {total} upstream tests pass" in docs
    for test in EXCLUDED:
        assert f"`{test.rsplit('::', 1)[1]}`" in docs, test
