"""The engine's workers, as the admin shows them: which are alive, their slots, and which
worker ran each run of a page (the engine's list of runs does not say)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..runs.rows import EngineState, RunRow, WorkerRow
from .client import get_client

__all__ = ["engine_state", "namespace_workers", "with_workers", "worker_name"]

#: At most this many workers are asked which runs they ran, for the runs list.
MAX_WORKER_LOOKUPS = 10


def with_workers(rows: list[RunRow], ids: list[str]) -> list[RunRow]:
    """Name the worker of each run: the list does not say, so ask each recent worker."""
    from dataclasses import replace

    if not rows:
        return rows
    client = get_client()
    oldest = min(r.created_at for r in rows if r.created_at) - timedelta(seconds=1)
    newest = max(r.created_at for r in rows if r.created_at) + timedelta(seconds=1)
    by_run: dict[str, str] = {}
    for worker in namespace_workers(client)[:MAX_WORKER_LOOKUPS]:
        if worker.last_heartbeat_at and worker.last_heartbeat_at < oldest:
            continue
        ran = client.runs.list(
            since=oldest,
            until=newest,
            workflow_ids=ids,
            worker_id=worker.metadata.id,
            limit=len(rows) * 2,
            include_payloads=False,
        )
        for summary in ran.rows or []:
            by_run[summary.workflow_run_external_id] = worker_name(client, worker.name)
    return [replace(r, worker=by_run.get(r.engine_id or "", "")) for r in rows]


WORKERS_PAGE = 500


def all_workers(client: Any) -> list[Any]:
    """Every worker of the tenant: the engine lists 50 a page unless told otherwise, and a
    tenant that many test runs or deploys have used has more than that."""
    from hatchet_sdk.clients.rest.api.worker_api import WorkerApi

    rows: list[Any] = []
    with client.workers.client() as api:
        for page in range(20):
            got = (
                WorkerApi(api)
                .worker_list(
                    tenant=client.workers.client_config.tenant_id,
                    offset=page * WORKERS_PAGE,
                    limit=WORKERS_PAGE,
                )
                .rows
                or []
            )
            rows += got
            if len(got) < WORKERS_PAGE:
                break
    return rows


def namespace_workers(client: Any) -> list[Any]:
    namespace = client.namespace
    workers = [w for w in all_workers(client) if w.name.startswith(namespace)]
    workers.sort(key=lambda w: w.last_heartbeat_at or datetime.min, reverse=True)
    return workers


def worker_name(client: Any, name: str) -> str:
    namespace = client.namespace
    return name[len(namespace) :] if namespace and name.startswith(namespace) else name


def engine_state() -> EngineState:
    """Whether the engine answers, and the workers of this namespace."""
    client = get_client()
    try:
        workers = namespace_workers(client)
    except Exception as exc:
        return EngineState(answers=False, error=f"{type(exc).__name__}: {exc}")
    return EngineState(
        answers=True,
        workers=[
            WorkerRow(
                name=worker_name(client, w.name),
                status=w.status.value if w.status else "",
                last_heartbeat_at=w.last_heartbeat_at,
                slots=", ".join(
                    f"{c.limit - (c.available or 0)}/{c.limit}"
                    for c in (w.slot_config or {}).values()
                    if c.limit is not None
                ),
            )
            for w in workers
        ],
    )
