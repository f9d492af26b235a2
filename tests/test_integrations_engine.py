"""The integrations on a real engine: a trace from the enqueue to the run on a worker, the
worker's Prometheus metrics scraped, a job's exception in Sentry, ``exit()`` in a job."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest

from django_hatchet import JobFailed, RunStatus
from django_hatchet.localengine.process import free_port
from tests import observability
from tests.engine import settle

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_settings")]


@pytest.fixture
def observed_worker(start_worker: Any) -> Any:
    """A worker of the observability jobs' queue, with OpenTelemetry and Sentry configured
    (tests/observability.py) and its metrics on a port; ``.metrics_port``."""
    port = free_port()
    process = start_worker(
        "--queue",
        observability.QUEUE,
        "--metrics-port",
        f"127.0.0.1:{port}",
        env={"TEST_OBSERVABILITY": "1"},
    )
    process.metrics_port = port
    return process


def ids(spans: list[dict[str, Any]]) -> set[str]:
    return {s["span_id"] for s in spans}


def recorded() -> dict[str, Any]:
    return observability.recorded.delay().get(timeout=60)


def test_a_trace_goes_from_the_enqueue_to_the_run_on_the_worker(observed_worker, tracing):
    with tracing.get_tracer("tests").start_as_current_span("request"):
        run = observability.traced.delay(21)
    settle()
    assert run.get(timeout=60) == 42

    (enqueue,) = [
        s for s in tracing.finished() if s["name"] == "enqueue tests.observability.traced"
    ]
    (request,) = [s for s in tracing.finished() if s["name"] == "request"]
    assert enqueue["kind"] == "PRODUCER"
    assert enqueue["parent_id"] == request["span_id"]
    assert enqueue["attributes"]["django_hatchet.run_id"] == run.id

    spans = recorded()["spans"]
    (worker_run,) = [s for s in spans if s["name"] == "run tests.observability.traced"]
    assert worker_run["kind"] == "CONSUMER"
    assert worker_run["trace_id"] == enqueue["trace_id"]  # The trace context travelled.
    assert worker_run["parent_id"] == enqueue["span_id"]
    assert worker_run["attributes"]["django_hatchet.job"] == "tests.observability.traced"
    assert worker_run["attributes"]["django_hatchet.run_id"] == run.id
    assert worker_run["attributes"]["django_hatchet.attempt"] == 1
    assert worker_run["status"] == "UNSET"
    (inside,) = [s for s in spans if s["name"] == "inside the job"]
    assert inside["parent_id"] == worker_run["span_id"]  # The job's own spans are its children.


def test_an_async_job_s_run_span_is_current_across_its_awaits(observed_worker, tracing):
    with tracing.get_tracer("tests").start_as_current_span("request"):
        run = observability.traced_async.delay(5)
    settle()
    assert run.get(timeout=60) == 10
    (enqueue,) = [s for s in tracing.finished() if s["name"].startswith("enqueue ")]
    spans = recorded()["spans"]
    (job_run,) = [s for s in spans if s["name"] == "run tests.observability.traced_async"]
    (inside,) = [s for s in spans if s["name"] == "inside the async job"]
    assert job_run["parent_id"] == enqueue["span_id"]
    assert inside["parent_id"] == job_run["span_id"]
    text = scrape(observed_worker.metrics_port)
    assert (
        'django_hatchet_runs_finished_total{job="tests.observability.traced_async",'
        'status="completed"} 1.0'
    ) in text


def test_a_canvas_s_steps_are_in_the_trace_of_its_enqueue(observed_worker, tracing):
    from opentelemetry import baggage, context

    from django_hatchet import chain

    canvas = chain(observability.traced.s(1), observability.traced.s())
    token = context.attach(baggage.set_baggage("tenant", "acme"))
    try:
        with tracing.get_tracer("tests").start_as_current_span("request"):
            run = canvas.delay()
    finally:
        context.detach(token)
    settle()
    assert run.get(timeout=90) == 4
    (enqueue,) = [s for s in tracing.finished() if s["name"].startswith("enqueue ")]
    spans = recorded()["spans"]
    steps = [s for s in spans if s["name"] == "run tests.observability.traced"]
    assert len(steps) == 2
    assert {s["trace_id"] for s in steps} == {enqueue["trace_id"]}
    # The request's baggage (OpenTelemetry's W3C Baggage) reached each step's job too.
    insides = [s for s in spans if s["name"] == "inside the job" and s["parent_id"] in ids(steps)]
    assert [s["attributes"]["baggage"] for s in insides] == ['{"tenant": "acme"}'] * 2


def test_a_failed_run_is_an_error_span_and_a_sentry_event(observed_worker):
    run = observability.broken.delay("4242 4242 4242 4242", note="see Sentry")
    with pytest.raises(JobFailed):
        run.get(timeout=60)

    seen = recorded()
    (span,) = [s for s in seen["spans"] if s["name"] == "run tests.observability.broken"]
    assert span["status"] == "ERROR"
    (event,) = [e for e in seen["events"] if e["tags"].get("django_hatchet.run_id") == run.id]
    assert event["exception"][-1] == {
        "type": "ValueError",
        "value": "broken on purpose: see Sentry",
    }
    assert event["tags"]["django_hatchet.job"] == "tests.observability.broken"
    assert event["tags"]["django_hatchet.attempt"] == "1"
    # Its arguments, by name, redacted as the admin shows them (card_number is a secret key).
    assert event["context"]["arguments"] == {"card_number": "********", "note": "see Sentry"}
    # Neither the worker's own ERROR line for the attempt nor the SDK's log of the failure is
    # a second event.
    assert not [e for e in seen["events"] if run.id in str(e["message"] or "")]
    assert [e for e in seen["events"] if "broken on purpose: see Sentry" in json.dumps(e)] == [
        event
    ]


def test_a_run_retried_to_its_end_is_one_sentry_event_of_its_last_attempt(observed_worker):
    run = observability.always_broken.delay(note="three attempts")
    with pytest.raises(JobFailed):
        run.get(timeout=60)

    seen = recorded()
    spans = [s for s in seen["spans"] if s["name"] == "run tests.observability.always_broken"]
    assert sorted(s["attributes"]["django_hatchet.attempt"] for s in spans) == [1, 2, 3]
    # The engine ran three attempts; only the third, which failed the run, is an event.
    (event,) = [e for e in seen["events"] if e["tags"].get("django_hatchet.run_id") == run.id]
    assert event["tags"]["django_hatchet.attempt"] == "3"
    assert event["exception"][-1]["value"] == "broken every time: three attempts"


def test_the_workers_metrics_are_scraped(observed_worker):
    assert observability.traced.delay(1).get(timeout=60) == 2
    run = observability.broken.delay("1", note="counted")
    with pytest.raises(JobFailed):
        run.get(timeout=60)

    deadline = time.monotonic() + 10
    while True:  # The attempt's counters move just after its result is reported.
        text = scrape(observed_worker.metrics_port)
        if (
            'django_hatchet_runs_finished_total{job="tests.observability.broken",status="failed"}'
            in text
        ):
            break
        assert time.monotonic() < deadline, text
        time.sleep(0.2)
    assert 'django_hatchet_runs_started_total{job="tests.observability.traced"} 1.0' in text
    assert (
        'django_hatchet_runs_finished_total{job="tests.observability.traced",'
        'status="completed"} 1.0'
    ) in text
    assert 'django_hatchet_run_duration_seconds_count{job="tests.observability.traced"} 1.0' in text
    assert "django_hatchet_slots " in text
    assert "django_hatchet_slots_in_use 0.0" in text
    assert "django_hatchet_outbox_depth " in text


def test_the_durable_worker_serves_its_metrics_on_the_next_port(start_worker):
    port = free_port()
    worker = start_worker("--metrics-port", f"127.0.0.1:{port}")
    assert f"its metrics on port {port + 1}" in worker.output()
    deadline = time.monotonic() + 60
    while True:  # The durable worker's process sets Django up first.
        try:
            text = scrape(port + 1)
            break
        except OSError:
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.5)
    assert "django_hatchet_slots " in text


def test_a_metrics_port_in_use_is_refused_before_the_engine_is_asked(start_worker):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        worker = start_worker("--metrics-port", f"127.0.0.1:{port}", ready=False)
        assert worker.process.wait(timeout=60) != 0
    assert f"Cannot serve the worker's metrics on 127.0.0.1:{port}" in worker.output()
    assert "Choose another --metrics-port." in worker.output()
    assert "Traceback" not in worker.output()


def test_a_job_that_calls_exit_fails_and_the_worker_goes_on(observed_worker):
    """SystemExit raised to the SDK would stop the worker's event loop, not the run."""
    run = observability.exits.delay(3)
    with pytest.raises(JobFailed, match=r"SystemExit\(3\)"):
        run.get(timeout=90)
    assert run.status is RunStatus.FAILED
    assert observability.traced.delay(2).get(timeout=60) == 4  # The worker still runs jobs.


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


@pytest.fixture
def tracing() -> Any:
    """This process's OpenTelemetry, as a project sets it up, with the SDK's in-memory
    exporter; reset after the test."""
    from opentelemetry import trace

    provider = observability.tracer_provider()
    exporter = observability.SPANS
    observability.set_provider(trace, provider)
    try:
        yield _Tracing(trace, exporter)
    finally:
        observability.set_provider(trace, None)


class _Tracing:
    def __init__(self, trace: Any, exporter: Any) -> None:
        self.trace, self.exporter = trace, exporter

    def get_tracer(self, name: str) -> Any:
        return self.trace.get_tracer(name)

    def finished(self) -> list[dict[str, Any]]:
        return [observability.span_record(s) for s in self.exporter.get_finished_spans()]
