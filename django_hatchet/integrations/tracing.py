"""OpenTelemetry: a span for each enqueue (PRODUCER) and one for each attempt of a run
(CONSUMER), its child: the trace context travels in the run's metadata (``traceparent``, the
key Hatchet's own instrumentor reads), so a trace goes from the request through the enqueue to
the run on a worker and on to what the job does.

It acts once the project has imported and configured OpenTelemetry (a tracer provider): until
then, ``opentelemetry.trace`` is not even imported.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from ..hooks import Call, Observer

if TYPE_CHECKING:
    from ..backends.base import Dispatch

#: The span attributes (and the messaging conventions' names for the same).
JOB, RUN_ID, ATTEMPT, RUNS = (
    "django_hatchet.job",
    "django_hatchet.run_id",
    "django_hatchet.attempt",
    "django_hatchet.runs",
)


def _api() -> Any:
    """``opentelemetry.trace`` if the project has imported it, else None."""
    return sys.modules.get("opentelemetry.trace")


class Tracing(Observer):
    name = "OpenTelemetry"

    def enqueue(self, dispatches: Sequence[Dispatch]) -> AbstractContextManager[Any] | None:
        trace = _api()
        return None if trace is None else self._enqueue(trace, dispatches)

    def run(self, call: Call) -> AbstractContextManager[Any] | None:
        trace = _api()
        return None if trace is None else self._run(trace, call)

    @contextmanager
    def _enqueue(self, trace: Any, dispatches: Sequence[Dispatch]) -> Iterator[None]:
        from opentelemetry import propagate

        job = dispatches[0].job.name
        attributes: dict[str, Any] = {
            JOB: job,
            RUNS: len(dispatches),
            "messaging.system": "hatchet",
            "messaging.operation.type": "send",
            "messaging.destination.name": job,
        }
        if len(dispatches) == 1:
            attributes[RUN_ID] = attributes["messaging.message.id"] = dispatches[0].run.id
        tracer = trace.get_tracer("django_hatchet")
        with tracer.start_as_current_span(
            f"enqueue {job}", kind=trace.SpanKind.PRODUCER, attributes=attributes
        ) as span:
            if span.get_span_context().is_valid:
                carrier: dict[str, str] = {}
                propagate.inject(carrier)
                for dispatch in dispatches:
                    dispatch.metadata().update(carrier)
            yield

    @contextmanager
    def _run(self, trace: Any, call: Call) -> Iterator[None]:
        from opentelemetry import context, propagate

        parent = propagate.extract({k: v for k, v in call.metadata.items() if isinstance(v, str)})
        tracer = trace.get_tracer("django_hatchet")
        # The caller's context is current during the run, its baggage too (as OpenTelemetry's
        # Celery instrumentation does), with the run's span as its child.
        token = context.attach(parent)
        try:
            with tracer.start_as_current_span(
                f"run {call.job}",
                context=parent,
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    JOB: call.job,
                    RUN_ID: call.run_id,
                    ATTEMPT: call.attempt,
                    "messaging.system": "hatchet",
                    "messaging.operation.type": "process",
                    "messaging.destination.name": call.job,
                    "messaging.message.id": call.run_id,
                },
            ):
                yield
        finally:
            context.detach(token)
