"""The integrations under test (tests/test_integrations*.py): OpenTelemetry with the SDK's
in-memory exporter and Sentry with a transport that keeps its events, configured in a worker
process started with ``TEST_OBSERVABILITY=1`` (tests/testapp/apps.py), and jobs that report
what that process recorded.

The jobs are on a queue of their own, ``observed``: only that worker runs them, though every
test process registers them (a canvas's orchestrator, on any worker, must know its steps)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django_hatchet import job

#: The queue of these jobs: ``runworker --queue observed``.
QUEUE = "observed"

#: The spans and the Sentry events this process recorded (once ``configure()`` ran).
SPANS: Any = None
EVENTS: list[dict[str, Any]] = []


def tracer_provider() -> Any:
    """A tracer provider whose spans go to the in-memory exporter ``SPANS``."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    global SPANS
    SPANS = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(SPANS))
    return provider


def set_provider(trace: Any, provider: Any) -> None:
    """OpenTelemetry sets its global provider once per process: reset it around a test."""
    from opentelemetry.util._once import Once

    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    if provider is not None:
        trace.set_tracer_provider(provider)


def keeping_transport() -> Any:
    from sentry_sdk.transport import Transport

    class KeepingTransport(Transport):
        """Keeps each event instead of sending it."""

        def capture_envelope(self, envelope: Any) -> None:
            for item in envelope.items:
                event = item.get_event()
                if event is not None:
                    EVENTS.append(event)

    return KeepingTransport


def configure() -> None:
    """What a project does at start-up: set OpenTelemetry's tracer provider, init Sentry."""
    import sentry_sdk
    from opentelemetry import trace

    trace.set_tracer_provider(tracer_provider())
    sentry_sdk.init(dsn="https://key@sentry.invalid/1", transport=keeping_transport())


def span_record(span: Any) -> dict[str, Any]:
    context, parent = span.get_span_context(), span.parent
    return {
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
        "parent_id": format(parent.span_id, "016x") if parent else None,
        "attributes": dict(span.attributes or {}),
        "status": span.status.status_code.name,
    }


@job(queue=QUEUE)
def traced(value: int) -> int:
    """A job that makes a span of its own, inside its run's, with the baggage it sees."""
    from opentelemetry import baggage, trace

    seen = json.dumps(dict(baggage.get_all()), sort_keys=True)
    with trace.get_tracer("tests").start_as_current_span(
        "inside the job", attributes={"baggage": seen}
    ):
        return value * 2


@job(queue=QUEUE)
async def traced_async(value: int) -> int:
    """The same, async: its run's span is current across its awaits."""
    import asyncio

    from opentelemetry import trace

    with trace.get_tracer("tests").start_as_current_span("inside the async job"):
        await asyncio.sleep(0.01)
        return value * 2


@job(queue=QUEUE)
def broken(card_number: str, note: str) -> None:
    raise ValueError(f"broken on purpose: {note}")


@job(retries=2, queue=QUEUE)
def always_broken(note: str) -> None:
    raise ValueError(f"broken every time: {note}")


@job(retries=1, queue=QUEUE)
def exits(code: int) -> None:
    sys.exit(code)


@job(queue=QUEUE)
def recorded() -> dict[str, Any]:
    """What this process has recorded so far: its finished spans and its Sentry events."""
    spans = [span_record(s) for s in SPANS.get_finished_spans()] if SPANS is not None else []
    events = [
        {
            "exception": [
                {"type": v.get("type"), "value": v.get("value")}
                for v in (e.get("exception") or {}).get("values", [])
            ],
            "message": (e.get("logentry") or {}).get("message") or e.get("message"),
            "tags": e.get("tags", {}),
            "context": e.get("contexts", {}).get("django_hatchet"),
            "transaction": e.get("transaction"),
        }
        for e in EVENTS
    ]
    return {"spans": spans, "events": events}
