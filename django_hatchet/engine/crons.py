"""The engine's side of the crons: listing, creating, pausing and deleting them (see
``django_hatchet.crons.sync`` for the plan these carry out).

This module knows the engine's records only; what a cron of ``HATCHET_CRONS`` becomes on the
engine (its name, input and metadata) is decided by the sync, which hands ``create`` a
``NewCron``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..options import JobOptions, Steps
from ..runs.metadata import NAMESPACE_KEY, OWNER_KEY, SETTINGS_SOURCE, SOURCE_KEY
from .client import EngineError, get_client
from .definitions import workflow_definition

if TYPE_CHECKING:
    from hatchet_sdk import Hatchet
    from hatchet_sdk.clients.rest.exceptions import ApiException
    from hatchet_sdk.clients.rest.models.cron_workflows import CronWorkflows


__all__ = [
    "EngineCron",
    "NewCron",
    "client",
    "create",
    "delete",
    "list_owned",
    "register_job",
    "set_enabled",
]

PAGE_SIZE = 500  # The engine lists 50 crons a page unless told otherwise.
ALREADY_EXISTS = "already exists"
WORKFLOW_NOT_FOUND = "workflow not found"


@dataclass(frozen=True)
class EngineCron:
    """A cron on the engine that this app owns."""

    id: str
    name: str  # Its name in HATCHET_CRONS, or in the admin (the owner tag).
    engine_name: str
    job: str
    schedule: str
    args: list[Any]
    kwargs: dict[str, Any]
    enabled: bool
    priority: int | None
    #: Who owns it: ``"settings"`` (HATCHET_CRONS) or ``"database"`` (made in the admin).
    source: str = SETTINGS_SOURCE


@dataclass(frozen=True)
class NewCron:
    """A cron for ``create`` to make, as the engine takes it."""

    name: str  # Its name in HATCHET_CRONS (for messages).
    engine_name: str
    job: str
    schedule: str
    input: dict[str, Any]
    metadata: dict[str, str]
    priority: int
    #: The job's options: its definition is registered first if the engine does not know it.
    options: JobOptions
    #: The steps of its definition, when it is a workflow.
    steps: Steps = ()


def client() -> Hatchet:
    return get_client()


def _engine_error(doing: str, exc: Exception) -> Exception:
    from hatchet_sdk.clients.rest.exceptions import RestTransportError

    if isinstance(exc, RestTransportError):
        return EngineError(
            f"Could not {doing}: cannot reach the Hatchet engine's API at "
            f"{get_client().config.server_url} ({exc.__class__.__name__}). Is it running? Its "
            "address comes from the token, or HATCHET_CLIENT_SERVER_URL."
        )
    status = getattr(exc, "status", None)
    if status in (401, 403):
        return EngineError(
            f"Could not {doing}: the Hatchet engine refused the token (HTTP {status}). Check "
            "HATCHET_CLIENT_TOKEN: it must be a token of this engine's tenant."
        )
    return EngineError(f"Could not {doing} on the Hatchet engine: {_reason(exc)}")


def _reason(exc: Exception) -> str:
    data = getattr(exc, "data", None)
    errors = getattr(data, "errors", None) or []
    descriptions = [e.description for e in errors if getattr(e, "description", None)]
    if descriptions:
        return "; ".join(descriptions)
    status = getattr(exc, "status", None)
    return f"HTTP {status}: {exc.__class__.__name__}" if status else str(exc)


def _is_ours(row: CronWorkflows, namespace: str) -> bool:
    metadata = row.additional_metadata or {}
    return (
        isinstance(metadata.get(OWNER_KEY), str)
        and metadata.get(NAMESPACE_KEY) == namespace
        and row.workflow_name.startswith(namespace)
    )


def _engine_cron(row: CronWorkflows, namespace: str) -> EngineCron:
    metadata = row.additional_metadata or {}
    given = row.input or {}
    return EngineCron(
        id=row.metadata.id,
        name=str(metadata[OWNER_KEY]),
        engine_name=row.name or "",
        job=row.workflow_name[len(namespace) :],
        schedule=row.cron,
        args=list(given.get("args", [])),
        kwargs=dict(given.get("kwargs", {})),
        enabled=row.enabled,
        priority=row.priority,
        source=str(metadata.get(SOURCE_KEY, SETTINGS_SOURCE)),
    )


def _rows(client: Hatchet, **filters: Any) -> list[CronWorkflows]:
    """Every cron matching ``filters``, page after page."""
    from hatchet_sdk.clients.rest.exceptions import ApiException
    from hatchet_sdk.clients.rest.models.cron_workflows_order_by_field import (
        CronWorkflowsOrderByField,
    )
    from hatchet_sdk.clients.rest.models.workflow_run_order_by_direction import (
        WorkflowRunOrderByDirection,
    )

    rows: dict[str, CronWorkflows] = {}
    offset = 0
    while True:
        try:
            page = client.cron.list(
                offset=offset,
                limit=PAGE_SIZE,
                order_by_field=CronWorkflowsOrderByField.CREATEDAT,
                order_by_direction=WorkflowRunOrderByDirection.ASC,
                **filters,
            )
        except ApiException as exc:
            raise _engine_error("list the crons", exc) from None
        found = page.rows or []
        for row in found:
            rows.setdefault(row.metadata.id, row)
        offset += len(found)
        if len(found) < PAGE_SIZE:
            return list(rows.values())


def list_owned(client: Hatchet | None = None, source: str | None = None) -> list[EngineCron]:
    """This app's crons on the engine (those of this namespace that carry the owner tag);
    with ``source``, only those of the settings or only those of the database."""
    client = client or get_client()
    namespace = client.namespace
    rows = _rows(client, additional_metadata={NAMESPACE_KEY: namespace})
    owned = [_engine_cron(row, namespace) for row in rows if _is_ours(row, namespace)]
    return [c for c in owned if source is None or c.source == source]


def create(client: Hatchet, cron: NewCron) -> str:
    """Create the cron; return its id. One that exists already (another process made it)
    counts as made. A job the engine does not know yet is registered first."""
    from hatchet_sdk.clients.rest.exceptions import ApiException

    namespace = client.namespace
    for attempt in (1, 2):
        try:
            return _create(client, cron)
        except ApiException as exc:
            reason = _reason(exc)
            if exc.status == 400 and ALREADY_EXISTS in reason:
                found = _find(client, namespace + cron.job, cron.engine_name, cron.schedule)
                if found is not None:
                    return found
            elif exc.status == 400 and WORKFLOW_NOT_FOUND in reason and attempt == 1:
                register_job(client, cron.job, cron.options, cron.steps)
                continue
            raise _engine_error(f"create the cron {cron.name!r}", exc) from None
    raise AssertionError("unreachable")


def _create(client: Hatchet, cron: NewCron) -> str:
    from hatchet_sdk import Priority

    row = client.cron.create(
        workflow_name=cron.job,
        cron_name=cron.engine_name,
        expression=cron.schedule,
        input=cron.input,
        additional_metadata=cron.metadata,
        priority=Priority(cron.priority),
    )
    return row.metadata.id


def _find(client: Hatchet, workflow_name: str, name: str, schedule: str) -> str | None:
    rows = _rows(client, workflow_name=workflow_name, cron_name=name)
    return next((r.metadata.id for r in rows if r.cron == schedule), None)


def register_job(client: Hatchet, job_name: str, options: JobOptions, steps: Steps = ()) -> None:
    """Register a job's workflow, as its worker will (the same definition, so the same
    version): a cron can be made only for a workflow the engine knows."""
    import grpc

    try:
        client._client.admin.put_workflow(workflow_definition(job_name, options, steps))
    except grpc.RpcError as exc:
        raise EngineError(
            f"Could not register the job {job_name!r} on the Hatchet engine: "
            f"{exc.code().name}: {exc.details()}"
        ) from None


def delete(client: Hatchet, cron_id: str) -> None:
    """Delete a cron; one already gone counts as deleted (the engine answers 500 for it)."""
    from hatchet_sdk.clients.rest.exceptions import ApiException

    try:
        client.cron.delete(cron_id)
    except ApiException as exc:
        if not _still_there(client, cron_id, exc):
            return
        raise _engine_error(f"delete the cron {cron_id}", exc) from None


def set_enabled(client: Hatchet, cron_id: str, enabled: bool) -> None:
    """Pause or resume a cron (the SDK has no call for it; its REST client has)."""
    from hatchet_sdk.clients.rest.api.workflow_api import WorkflowApi
    from hatchet_sdk.clients.rest.exceptions import ApiException
    from hatchet_sdk.clients.rest.models.update_cron_workflow_trigger_request import (
        UpdateCronWorkflowTriggerRequest,
    )

    try:
        with client.cron.client() as api:
            WorkflowApi(api).workflow_cron_update(
                tenant=client.cron.client_config.tenant_id,
                cron_workflow=cron_id,
                update_cron_workflow_trigger_request=UpdateCronWorkflowTriggerRequest(
                    enabled=enabled
                ),
            )
    except ApiException as exc:
        if not _still_there(client, cron_id, exc):
            return  # Replaced meanwhile by another process applying the same plan.
        raise _engine_error(
            f"{'enable' if enabled else 'disable'} the cron {cron_id}", exc
        ) from None


def _still_there(client: Hatchet, cron_id: str, exc: ApiException) -> bool:
    """After a failed call on a cron: does it still exist? The engine answers 404, or 500,
    for an id it no longer has."""
    if exc.status not in (404, 500):
        return True
    namespace = client.namespace
    return any(
        row.metadata.id == cron_id
        for row in _rows(client, additional_metadata={NAMESPACE_KEY: namespace})
    )
