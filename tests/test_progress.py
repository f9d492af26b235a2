"""Progress (issue 14, item 3): ``context.progress()``, inline, and its bad input. On the real
engine: test_progress_engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from django_hatchet import JobContext, Progress
from django_hatchet.runs.progress import MARKER, inline_progress, line, parse
from tests.testapp import tasks

pytestmark = pytest.mark.usefixtures("dispatch_at_once")


@pytest.fixture(autouse=True)
def _clean() -> Any:
    inline_progress.clear()
    yield
    inline_progress.clear()


def test_inline_the_handle_has_the_latest_report() -> None:
    run = tasks.count_up.delay(10, steps=4)
    assert run.get() == 4
    progress = run.progress
    assert progress == Progress(4, 10, "step 4")
    assert progress.percent == 40
    assert str(progress) == "4/10 (40 %): step 4"


def test_a_total_not_known() -> None:
    progress = tasks.count_up.delay(None, steps=3).progress
    assert progress == Progress(3, None, "step 3")
    assert progress.percent is None
    assert str(progress) == "3: step 3"


def test_a_run_that_reports_nothing_has_no_progress() -> None:
    assert tasks.add.delay(1, 2).progress is None


async def test_async_handle() -> None:
    run = await tasks.count_up.adelay(8, steps=2)
    assert await run.aprogress() == Progress(2, 8, "step 2")


def test_the_log_line_round_trips() -> None:
    report = Progress(2.5, 10, "half of a quarter", attempt=2)
    text = line(report)
    assert text.startswith('{"' + MARKER)
    when = datetime(2026, 1, 1)
    assert parse(text, when) == Progress(2.5, 10, "half of a quarter", 2, when)
    assert parse("a line that says nothing of progress") is None
    assert parse('{"' + MARKER + '": {"done": "x"}}') is None


def test_a_long_message_is_cut() -> None:
    context = JobContext(tasks.count_up, "01a24d3e-0eef-7a73-baae-013d775d18ca")
    context.progress(1, 2, "x" * 1000)
    progress = inline_progress.get(context.run_id)
    assert progress is not None
    assert len(progress.message) == 500
    assert progress.message.endswith("…")


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("3",), TypeError, "context.progress(): done must be a number, not str."),
        ((True,), TypeError, "done must be a number, not bool"),
        ((1, "10"), TypeError, "total must be a number, not str."),
        ((-1,), ValueError, "done must be 0 or more, not -1."),
        ((1, 0), ValueError, "total must be more than 0, not 0 (leave it out when the total"),
        ((11, 10), ValueError, "done (11) is more than total (10)."),
        ((float("nan"),), ValueError, "done must be a finite number, not nan."),
        ((1, 2, 3), TypeError, "message must be a str, not int."),
    ],
)
def test_bad_input_is_a_clear_error(args: tuple[Any, ...], error: type, message: str) -> None:
    context = JobContext(tasks.count_up, "01a24d3e-0eef-7a73-baae-013d775d18ca")
    with pytest.raises(error) as info:
        context.progress(*args)
    assert message in str(info.value)
