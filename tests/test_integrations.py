"""The integrations without an engine: which are installed, the system check, the hooks'
errors, what they record in this process, and that a project without them pays nothing.
On a real engine: tests/test_integrations_engine.py."""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_hatchet import NonRetryable, Retry, hooks, integrations
from django_hatchet.checks import check_integrations, check_settings
from django_hatchet.integrations.sentry import Sentry
from django_hatchet.integrations.tracing import Tracing
from django_hatchet.management.commands.runworker import metrics_address
from django_hatchet.options import JobOptions
from tests import observability
from tests.test_import_hygiene import run_python
from tests.testapp import tasks


@pytest.fixture(autouse=True)
def _observers():
    """Each test installs what it needs; the observers of the settings are put back after."""
    saved = list(hooks.OBSERVERS)
    yield
    hooks.OBSERVERS[:] = saved


def test_by_default_each_integration_whose_library_is_installed_is_on():
    assert integrations.install() == ["opentelemetry", "sentry"]
    assert [type(o).__name__ for o in hooks.OBSERVERS] == ["Tracing", "Sentry"]


def test_prometheus_is_on_for_django_prometheus_or_a_metrics_port(monkeypatch):
    from django.conf import settings

    assert "prometheus" in integrations.install(metrics=True)
    monkeypatch.setattr(settings, "INSTALLED_APPS", [*settings.INSTALLED_APPS, "django_prometheus"])
    assert "prometheus" in integrations.wanted()


@override_settings(HATCHET_INTEGRATIONS=[])
def test_an_empty_list_turns_them_off():
    assert integrations.install() == []
    assert hooks.OBSERVERS == []
    assert integrations.install(metrics=True) == ["prometheus"]  # runworker --metrics-port


def test_changing_the_setting_installs_again():
    with override_settings(HATCHET_INTEGRATIONS=["prometheus"]):
        assert [type(o).__name__ for o in hooks.OBSERVERS] == ["Metrics"]


def test_an_unknown_integration_is_a_settings_error():
    with override_settings(HATCHET_INTEGRATIONS=["datadog"]):
        (error,) = check_settings()
    assert error.id == "django_hatchet.E001"
    assert error.msg.startswith(
        "HATCHET_INTEGRATIONS must be None (each integration whose library is there) or a list "
        'of "opentelemetry", "prometheus", "sentry", not list'
    )


def test_an_integration_named_without_its_library_is_a_warning(monkeypatch):
    monkeypatch.setattr(integrations, "installed", lambda name: name != "sentry")
    with override_settings(HATCHET_INTEGRATIONS=["sentry", "opentelemetry"]):
        (warning,) = check_integrations()
        assert integrations.install() == ["opentelemetry"]
    assert warning.id == "django_hatchet.W010"
    assert "HATCHET_INTEGRATIONS names 'sentry', but its library is not installed" in warning.msg
    assert warning.hint == "pip install sentry-sdk, or take 'sentry' out of HATCHET_INTEGRATIONS."
    assert check_integrations() == []


class Broken(hooks.Observer):
    name = "Broken"

    def enqueue(self, dispatches):
        raise RuntimeError("broken before")

    @contextmanager
    def _after(self):
        yield
        raise RuntimeError("broken after")

    def run(self, call):
        return self._after()

    def send_failed(self, job, runs, error):
        raise RuntimeError("broken send")


def test_an_integration_that_fails_is_logged_and_never_fails_the_job(caplog):
    hooks.OBSERVERS[:] = [Broken()]
    with caplog.at_level(logging.ERROR, logger="django_hatchet"):
        assert tasks.add.delay(1, 2).get() == 3
        with hooks.running("tests.testapp.tasks.add", "r1", 1, (), {}, {}):
            pass
        hooks.send_failed("tests.testapp.tasks.add", 1, OSError("down"))
    assert [r.getMessage() for r in caplog.records] == [
        "The Broken integration failed",  # The enqueue,
        "The Broken integration failed after a job",  # the run inline,
        "The Broken integration failed after a job",  # a run,
        "The Broken integration failed",  # a failed send.
    ]


def test_a_project_without_them_imports_none_of_their_libraries():
    """Installed but not configured (or, with none installed, not there at all), the
    libraries are never imported by django-hatchet: a web process pays nothing for them."""
    result = run_python(
        """
        import json, sys
        import django
        django.setup()
        from django.core import checks
        from tests.testapp import tasks
        from django_hatchet.hooks import OBSERVERS
        assert tasks.add.delay(1, 2).get() == 3
        checks.run_checks()
        names = ("opentelemetry", "sentry_sdk", "prometheus_client")
        print(json.dumps([m for m in sys.modules if m.split(".")[0] in names]))
        """,
        DJANGO_SETTINGS_MODULE="tests.settings",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []


def test_with_no_library_installed_nothing_is_observed(monkeypatch):
    monkeypatch.setattr(integrations, "installed", lambda name: False)
    assert integrations.install() == []
    assert hooks.OBSERVERS == []
    assert isinstance(hooks.enqueuing(()), type(hooks.running("j", "r", 1, (), {}, {})))


def attempt_raising(
    error: BaseException,
    job: str = "tests.job",
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    metadata: dict[str, str] | None = None,
    attempt: int = 1,
    options: JobOptions | None = None,
) -> None:
    """An attempt, observed, whose job raises ``error`` (which goes through unchanged)."""
    observed = hooks.running(job, "r1", attempt, args, kwargs or {}, metadata or {}, options)
    with pytest.raises(type(error)) as raised, observed:
        raise error
    assert raised.value is error


# OpenTelemetry -------------------------------------------------------------------------------


@pytest.fixture
def spans():
    """This process's OpenTelemetry with the SDK's in-memory exporter (reset after)."""
    from opentelemetry import trace

    from tests.observability import set_provider

    set_provider(trace, observability.tracer_provider())
    hooks.OBSERVERS[:] = [Tracing()]
    try:
        yield observability.SPANS
    finally:
        set_provider(trace, None)


def records(exporter: Any) -> dict[str, dict[str, Any]]:
    return {s.name: observability.span_record(s) for s in exporter.get_finished_spans()}


def test_an_enqueue_puts_its_span_s_context_in_the_run_s_metadata(spans):
    dispatch = tasks.add._dispatch((1, 2), {})
    with hooks.enqueuing((dispatch,)):
        pass
    span = records(spans)["enqueue tests.testapp.tasks.add"]
    assert span["kind"] == "PRODUCER"
    assert span["attributes"]["django_hatchet.run_id"] == dispatch.run.id
    assert span["attributes"]["django_hatchet.runs"] == 1
    traceparent = dispatch.metadata()["traceparent"]
    assert traceparent.startswith(f"00-{span['trace_id']}-{span['span_id']}-")


def test_delay_many_is_one_span_for_its_runs(spans):
    runs = tasks.add.delay_many([(1, 2), (3, 4)])
    span = records(spans)["enqueue tests.testapp.tasks.add"]
    assert span["attributes"]["django_hatchet.runs"] == 2
    assert "django_hatchet.run_id" not in span["attributes"]
    assert [r.get() for r in runs] == [3, 7]


def test_a_run_s_span_is_the_child_of_the_context_in_its_metadata(spans):
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    attempt_raising(ValueError("no"), metadata={"traceparent": parent}, attempt=2)
    span = records(spans)["run tests.job"]
    assert span["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert span["parent_id"] == "b7ad6b7169203331"
    assert span["attributes"]["django_hatchet.attempt"] == 2
    assert span["status"] == "ERROR"


def test_the_caller_s_baggage_is_current_during_the_run_and_only_then(spans):
    from opentelemetry import baggage, trace

    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    metadata = {"traceparent": parent, "baggage": "tenant=acme"}
    with hooks.running("tests.job", "r1", 1, (), {}, metadata):
        assert baggage.get_baggage("tenant") == "acme"
        current = trace.get_current_span().get_span_context()
        assert format(current.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert baggage.get_baggage("tenant") is None
    assert records(spans)["run tests.job"]["parent_id"] == "b7ad6b7169203331"


def test_without_a_tracer_provider_nothing_goes_in_the_metadata():
    from opentelemetry import trace

    from tests.observability import set_provider

    set_provider(trace, None)  # The API's default: no provider configured.
    hooks.OBSERVERS[:] = [Tracing()]
    dispatch = tasks.add._dispatch((1, 2), {})
    with hooks.enqueuing((dispatch,)):
        pass
    assert "traceparent" not in dispatch.metadata()


# Prometheus ----------------------------------------------------------------------------------


def sample(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


@override_settings(HATCHET_INTEGRATIONS=["prometheus"])
def test_the_web_process_counts_its_enqueues_in_the_project_s_registry():
    before = sample("django_hatchet_enqueued_total", job="tests.testapp.tasks.add")
    tasks.add.delay(1, 2)
    tasks.add.delay_many([(1, 2), (3, 4)])
    after = sample("django_hatchet_enqueued_total", job="tests.testapp.tasks.add")
    assert after - before == 3


@override_settings(HATCHET_INTEGRATIONS=["prometheus"])
def test_a_failed_send_is_counted():
    before = sample("django_hatchet_dispatch_errors_total", job="tests.job")
    hooks.send_failed("tests.job", 2, OSError("down"))
    assert sample("django_hatchet_dispatch_errors_total", job="tests.job") - before == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9100", ("0.0.0.0", 9100)),
        ("65535", ("0.0.0.0", 65535)),
        ("127.0.0.1:9100", ("127.0.0.1", 9100)),
        ("[::1]:9100", ("::1", 9100)),
    ],
)
def test_the_metrics_port_option(value, expected):
    assert metrics_address(value) == expected


@pytest.mark.parametrize("value", ["web", "0", "99999", "host:"])
def test_a_metrics_port_that_is_not_one_is_refused(value):
    with pytest.raises(CommandError, match=r"--metrics-port: .* is not a port, or ADDRESS:PORT"):
        call_command("runworker", "--metrics-port", value)


def test_an_address_that_is_not_this_machine_s_is_refused_with_what_to_fix():
    from django_hatchet.worker.worker import serve_metrics

    with pytest.raises(CommandError) as refused:
        serve_metrics("203.0.113.7", 9100, 4)  # TEST-NET-3: no interface has it.
    assert str(refused.value) == (
        "Cannot serve the worker's metrics on 203.0.113.7:9100 (Cannot assign requested "
        "address): give --metrics-port a port, or an address of this machine and a port."
    )


# Sentry --------------------------------------------------------------------------------------


@pytest.fixture
def sentry_events():
    import sentry_sdk

    observability.EVENTS.clear()
    sentry_sdk.init(dsn="https://key@sentry.invalid/1", transport=observability.keeping_transport())
    hooks.OBSERVERS[:] = [Sentry()]
    try:
        yield observability.EVENTS
    finally:
        sentry_sdk.init(dsn=None)


def test_a_job_s_exception_reaches_sentry_with_the_run_and_its_redacted_arguments(sentry_events):
    attempt_raising(
        ValueError("no"),
        "tests.jobs.takes_a_password",
        ("ann",),
        {"password": "hunter2"},
        attempt=3,
    )
    (event,) = sentry_events
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert event["tags"] == {
        "django_hatchet.job": "tests.jobs.takes_a_password",
        "django_hatchet.run_id": "r1",
        "django_hatchet.attempt": "3",
    }
    assert event["contexts"]["django_hatchet"]["arguments"] == {
        "args": ["ann"],
        "kwargs": {"password": "********"},
    }


def test_a_secret_passed_by_position_is_redacted_too(sentry_events):
    from tests.testapp import jobs

    attempt_raising(ValueError("no"), jobs.takes_a_password.name, ("ann", "hunter2"))
    (event,) = sentry_events
    assert event["contexts"]["django_hatchet"]["arguments"] == {
        "user": "ann",
        "password": "********",
    }


def test_only_the_failure_that_ends_the_run_is_an_event(sentry_events):
    # As Sentry's Celery and RQ integrations: an attempt the engine runs again is no event.
    three = JobOptions(retries=2)
    attempt_raising(ValueError("first"), attempt=1, options=three)
    attempt_raising(Retry(), attempt=2, options=three)
    assert sentry_events == []
    attempt_raising(ValueError("last"), attempt=3, options=three)
    (event,) = sentry_events
    assert event["exception"]["values"][-1]["value"] == "last"
    assert event["tags"]["django_hatchet.attempt"] == "3"


@pytest.mark.parametrize(
    ("error", "attempt", "options"),
    [
        (ValueError("no retries"), 1, JobOptions()),
        (NonRetryable("at once"), 1, JobOptions(retries=2)),
        (KeyError("not in retry_on"), 1, JobOptions(retries=2, retry_on=(ValueError,))),
        (Retry(), 2, JobOptions(retries=1)),  # A retry asked for, and none left: the run fails.
        (ValueError("replayed"), 4, JobOptions(retries=2)),  # A durable run's replay.
        (Retry(), 1, None),  # Inline, where nothing is retried.
    ],
)
def test_a_failure_with_no_attempt_after_it_is_an_event(sentry_events, error, attempt, options):
    attempt_raising(error, attempt=attempt, options=options)
    assert len(sentry_events) == 1


def test_without_sentry_init_nothing_is_sent():
    hooks.OBSERVERS[:] = [Sentry()]
    observability.EVENTS.clear()
    attempt_raising(ValueError("no"))
    assert observability.EVENTS == []
