"""The engine's side of ``django_hatchet.testing``: the SDK's embedded engine for a test
session, and a test's runs, found by the metadata tag that the test gave them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hatchet_sdk.clients.rest.models.v1_task_status import V1TaskStatus
from hatchet_sdk.config import EmbeddedHatchetConfig
from hatchet_sdk.embedded import start_embedded_sidecar
from hatchet_sdk.features.runs import BulkCancelReplayOpts, RunFilter

from ..runs.metadata import EXTRA_METADATA, JOB_KEY, RUN_ID_KEY
from .client import EngineError, get_client
from .worker import connect

__all__ = [
    "EngineError",
    "Sidecar",
    "TaggedRun",
    "cancel_runs_tagged",
    "check_connection",
    "delete_schedules_tagged",
    "list_runs_tagged",
    "start_sidecar",
    "tag_runs",
]


@dataclass(frozen=True)
class Sidecar:
    """How to reach an embedded engine that this process started, and how to stop it."""

    token: str
    grpc_address: str
    api_url: str | None
    stop: Callable[[], None] = field(repr=False)


def start_sidecar(**options: Any) -> Sidecar:
    """Start the SDK's embedded engine (``EmbeddedHatchetConfig`` fields as ``options``; the
    SDK reads the others from ``HATCHET_CLIENT_EMBEDDED_*``); raise whatever the SDK raises."""
    sidecar = start_embedded_sidecar(EmbeddedHatchetConfig(**options))
    handshake = sidecar.handshake
    return Sidecar(handshake.token, handshake.grpc_address, handshake.api_url or None, sidecar.stop)


def check_connection() -> None:
    """Ask the configured engine once; raise EngineError unless it answers and accepts the token."""
    connect(1, on_retry=lambda *args: None)


def tag_runs(key: str, value: str | None) -> None:
    """Add ``key: value`` to the metadata of every run this process triggers (None: stop)."""
    if value is None:
        EXTRA_METADATA.pop(key, None)
    else:
        EXTRA_METADATA[key] = value


@dataclass(frozen=True)
class TaggedRun:
    """A run as the engine lists it: django-hatchet's id, the job's name, the engine's id."""

    run_id: str
    job_name: str
    engine_run_id: str


def list_runs_tagged(key: str, tag: str, since: datetime) -> list[TaggedRun]:
    """Return the runs (up to 1000) created since ``since`` with ``key: tag`` in their
    metadata, oldest first."""
    rows = (
        get_client()
        .runs.list(since=since, additional_metadata={key: tag}, limit=1000, include_payloads=False)
        .rows
        or []
    )
    rows.sort(key=lambda row: row.created_at or row.metadata.created_at)
    found = []
    for row in rows:
        metadata = row.additional_metadata or {}
        found.append(
            TaggedRun(
                str(metadata.get(RUN_ID_KEY) or row.workflow_run_external_id),
                str(metadata.get(JOB_KEY) or ""),
                row.workflow_run_external_id,
            )
        )
    return found


def delete_schedules_tagged(key: str, tag: str) -> None:
    """Delete the scheduled runs (not fired yet) with ``key: tag`` in their metadata."""
    client = get_client()
    for schedule in client.scheduled.list(additional_metadata={key: tag}).rows or []:
        client.scheduled.delete(schedule.metadata.id)


def cancel_runs_tagged(key: str, tag: str, since: datetime) -> None:
    """Cancel the queued and running runs created since ``since`` with ``key: tag``."""
    get_client().runs.bulk_cancel(
        BulkCancelReplayOpts(
            filters=RunFilter(
                since=since,
                statuses=[V1TaskStatus.QUEUED, V1TaskStatus.RUNNING],
                additional_metadata={key: tag},
            )
        )
    )
