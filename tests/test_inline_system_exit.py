"""Inline mode: a job that calls ``exit()`` (raises SystemExit) fails its run, as Django's
ImmediateBackend fails a task; Ctrl-C (KeyboardInterrupt) still stops the caller."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings

from django_hatchet import RunStatus
from django_hatchet.signals import job_finished

SOURCE = """
import asyncio

from django_hatchet import job


@job
def quits():
    exit(3)


@job
async def aquits():
    raise SystemExit("async bye")


@job
def interrupted():
    raise KeyboardInterrupt


@job
async def cancelled():
    raise asyncio.CancelledError
"""


@pytest.fixture
def jobs(define: Callable[..., Any]) -> Any:
    return define(SOURCE)


@pytest.fixture
def finished() -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def receive(sender: Any, **kwargs: Any) -> None:
        seen.append({"job": sender.name, **kwargs})

    job_finished.connect(receive)
    yield seen
    job_finished.disconnect(receive)


def test_exit_fails_the_run_and_sends_job_finished(jobs, finished, caplog):
    with caplog.at_level(logging.ERROR, logger="django_hatchet"):
        run = jobs.quits.delay()
    assert run.status is RunStatus.FAILED
    assert isinstance(run.error, SystemExit)
    assert run.error.code == 3
    [event] = finished
    assert (event["job"], event["status"], event["error"]) == (
        "tests.defined.quits",
        RunStatus.FAILED,
        run.error,
    )
    [record] = caplog.records
    assert record.exc_info is not None
    assert record.exc_info[0] is SystemExit


async def test_exit_in_an_async_job_fails_the_run(jobs, finished):
    run = await jobs.aquits.adelay()
    assert run.status is RunStatus.FAILED
    assert isinstance(run.error, SystemExit)
    assert [e["status"] for e in finished] == [RunStatus.FAILED]


def test_exit_from_a_sync_caller_of_an_async_job(jobs, finished):
    run = jobs.aquits.delay()
    assert run.status is RunStatus.FAILED
    assert [e["status"] for e in finished] == [RunStatus.FAILED]


@override_settings(HATCHET_INLINE_PROPAGATE_EXCEPTIONS=True)
def test_exit_propagates_with_the_propagate_setting(jobs, finished):
    with pytest.raises(SystemExit):
        jobs.quits.delay()
    assert [e["status"] for e in finished] == [RunStatus.FAILED]


def test_keyboard_interrupt_stops_the_caller(jobs, finished):
    with pytest.raises(KeyboardInterrupt):
        jobs.interrupted.delay()
    assert finished == []


async def test_a_cancelled_coroutine_fails_the_run_and_goes_on(jobs, finished):
    with pytest.raises(asyncio.CancelledError):
        await jobs.cancelled.adelay()
    assert [e["status"] for e in finished] == [RunStatus.FAILED]
