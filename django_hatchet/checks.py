"""System checks. Each message has a stable id, listed in docs/checks.md."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .conf import SETTINGS, environ_value, setting_error


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for name, spec in SETTINGS.items():
        error = setting_error(name, getattr(settings, name, spec.default))
        if error:
            errors.append(
                checks.Error(
                    error,
                    hint=f"Set {name} to {spec.expected}, or remove it to use the default.",
                    id="django_hatchet.E001",
                )
            )
    return errors


def check_environment(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E012, W003: an environment variable that stands in for a setting (``HATCHET_EMBEDDED``)
    and cannot be read, or that the setting overrules."""
    messages: list[checks.CheckMessage] = []
    for name, spec in SETTINGS.items():
        text = os.environ.get(name)
        if spec.from_environ is None or text is None:
            continue
        try:
            value = environ_value(name)
        except ValueError as exc:
            messages.append(
                checks.Error(
                    str(exc),
                    hint=f"Set {name}=1 or {name}=0, or unset it.",
                    id="django_hatchet.E012",
                )
            )
            continue
        given = getattr(settings, name, value)
        if given != value and not setting_error(name, given):  # Else E001.
            messages.append(
                checks.Warning(
                    f"{name} is {given!r} in the settings, and the environment variable {name} "
                    f"is {text!r}: the setting wins, so the environment variable is ignored.",
                    hint=f"Remove {name} from the settings to let the environment decide, or "
                    f'read the variable there: {name} = os.environ.get("{name}") == "1".',
                    id="django_hatchet.W003",
                )
            )
    return messages


def check_crons(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    # Imported here: a web process loads this module at start-up, and only checks need crons.
    from .crons import cron_problems

    value = getattr(settings, "HATCHET_CRONS", {})
    return [
        checks.Error(
            problem.msg, hint=problem.hint, obj=f"HATCHET_CRONS[{problem.cron}]", id=problem.id
        )
        for problem in cron_problems(value)
    ]


def check_stored_crons(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """The crons made in the admin that cannot reach the engine (a database check: ``migrate``
    and ``check --database default`` run it)."""
    if not databases:
        return []
    from django.db import DatabaseError

    from .crons.stored import load_stored
    from .jobs.registry import registry

    try:
        refused = load_stored()[1]
        from .models import Cron

        jobs = dict(Cron.objects.filter(name__in=refused).values_list("name", "job"))
    except DatabaseError:  # Before migrate: no table, no crons.
        return []
    messages: list[checks.CheckMessage] = []
    for name, reason in refused.items():
        job = jobs.get(name, "")
        if job not in registry:
            messages.append(
                checks.Warning(
                    f"The cron {name!r} (made in the admin) runs the job {job!r}, which is not "
                    "registered: the engine keeps its cron as it was, and its runs wait for a "
                    "worker that has the job.",
                    hint="Delete the cron in the admin (Hatchet jobs > Crons), point it at "
                    "another job, or bring the job back.",
                    obj=f"django_hatchet.Cron[{name!r}]",
                    id="django_hatchet.W001",
                )
            )
        else:
            messages.append(
                checks.Warning(
                    f"The cron {name!r} (made in the admin) cannot be applied to the engine: "
                    f"{reason}",
                    hint="Open it in the admin (Hatchet jobs > Crons): the form says what to fix.",
                    obj=f"django_hatchet.Cron[{name!r}]",
                    id="django_hatchet.W002",
                )
            )
    return messages


def check_namespace(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from .options import NAME_RE

    namespace = getattr(settings, "HATCHET_CLIENT_NAMESPACE", None)
    if not isinstance(namespace, str) or not namespace or NAME_RE.match(namespace):
        return []
    return [
        checks.Error(
            f"HATCHET_CLIENT_NAMESPACE {namespace!r} would make job names Hatchet refuses.",
            hint="Use letters, digits, '.', '_' and '-' only, e.g. 'shop-staging'.",
            id="django_hatchet.E009",
        )
    ]


def check_rate_limits(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from .jobs.registry import registry

    limits = getattr(settings, "HATCHET_RATE_LIMITS", {})
    if setting_error("HATCHET_RATE_LIMITS", limits):
        return []  # django_hatchet.E001
    return [
        checks.Error(
            f"Job {job.name} uses the rate limit {key!r}, which HATCHET_RATE_LIMITS does not "
            "declare.",
            hint=f'Add it to HATCHET_RATE_LIMITS, e.g. {{"{key}": (10, "second")}}, or fix the '
            "key in @job(rate_limits=...).",
            obj=job.name,
            id="django_hatchet.E008",
        )
        for job in registry
        for key, _ in job.options.rate_limits
        if key not in limits
    ]


def check_jobs_modules(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from .jobs.registry import registry

    return [
        checks.Error(
            f"The jobs module {module} failed to import: {error}. Its jobs are not registered.",
            hint="Fix the error (its traceback is logged on the django_hatchet logger at "
            "start-up), or remove the module's name from HATCHET_AUTODISCOVER_MODULES.",
            obj=module,
            id="django_hatchet.E011",
        )
        for module, error in registry.import_errors.items()
    ]


def check_single_flight(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E020: single-flight jobs on an engine need PostgreSQL's advisory locks."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from .conf import conf
    from .jobs.registry import registry

    vendor = connections[DEFAULT_DB_ALIAS].vendor
    try:
        inline = conf.INLINE
    except ImproperlyConfigured:  # E001 or E012 says why.
        return []
    if inline or vendor == "postgresql":
        return []
    return [
        checks.Error(
            f"Job {job.name} has single_flight=True, which needs PostgreSQL's advisory locks, "
            f"but the default database is {vendor}.",
            hint="Use PostgreSQL, or drop single_flight and use the engine's concurrency "
            'instead: @job(concurrency=Concurrency(max_runs=1, strategy="CANCEL_NEWEST")).',
            obj=job.name,
            id="django_hatchet.E020",
        )
        for job in registry
        if job.options.single_flight
    ]


def check_workflows(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E030-E033: a workflow without steps, a parent not in it, a cycle, two steps of a name."""
    from .jobs.registry import registry
    from .jobs.workflow import Workflow

    errors: list[checks.CheckMessage] = []
    for workflow in registry:
        if not isinstance(workflow, Workflow):
            continue
        if not workflow.steps:
            errors.append(
                checks.Error(
                    f"The workflow {workflow.name!r} has no steps.",
                    hint=f"Declare its steps with @<workflow>.step() in {workflow.module}.",
                    obj=workflow.name,
                    id="django_hatchet.E030",
                )
            )
        errors += [
            checks.Error(p.msg, hint=p.hint, obj=workflow.name, id=p.id)
            for p in workflow.problems()
        ]
    return errors


def check_integrations(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """W010: an integration ``HATCHET_INTEGRATIONS`` names whose library is missing (it would
    do nothing, silently)."""
    from .integrations import missing

    return [
        checks.Warning(
            f"HATCHET_INTEGRATIONS names {name!r}, but its library is not installed: it does "
            "nothing.",
            hint=f"pip install {package}, or take {name!r} out of HATCHET_INTEGRATIONS.",
            id="django_hatchet.W010",
        )
        for name, package in missing()
    ]


def register() -> None:
    checks.register(check_jobs_modules)
    checks.register(check_settings)
    checks.register(check_environment)
    checks.register(check_crons)
    checks.register(check_stored_crons, checks.Tags.database)
    checks.register(check_rate_limits)
    checks.register(check_namespace)
    checks.register(check_single_flight)
    checks.register(check_workflows)
    checks.register(check_integrations)
