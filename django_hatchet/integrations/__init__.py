"""What django-hatchet tells the tools a project already runs: traces (OpenTelemetry),
metrics (Prometheus) and errors (Sentry). Each is an observer (``django_hatchet.hooks``) of
the enqueues, the runs and the failed sends; ``install()`` puts them in place at start-up.

``HATCHET_INTEGRATIONS = None`` (the default) turns on each one whose library is installed:
OpenTelemetry and Sentry then act only once the project has configured them (a tracer
provider; ``sentry_sdk.init()``); Prometheus counts in the web process only with
``django_prometheus`` in ``INSTALLED_APPS``, and on a worker with ``runworker --metrics-port``.
A list names the ones to use; ``[]`` turns them all off (but ``--metrics-port`` still counts).
"""

from __future__ import annotations

from importlib.util import find_spec

from django.core.exceptions import ImproperlyConfigured

from ..conf import conf
from ..conf.spec import INTEGRATIONS
from ..hooks import OBSERVERS, Observer

#: The module each integration needs, and how to install it.
LIBRARIES = {
    "opentelemetry": ("opentelemetry", "opentelemetry-api"),
    "prometheus": ("prometheus_client", "prometheus-client"),
    "sentry": ("sentry_sdk", "sentry-sdk"),
}


def installed(name: str) -> bool:
    """True when the library of integration ``name`` can be imported (without importing it)."""
    return find_spec(LIBRARIES[name][0]) is not None


def wanted(metrics: bool = False) -> list[str]:
    """The integrations to install: those named, or (None) those whose library is there.
    ``metrics``: this process serves Prometheus metrics (``runworker --metrics-port``)."""
    asked = conf.INTEGRATIONS
    if asked is not None:
        return [
            name
            for name in INTEGRATIONS
            if (name in asked or (metrics and name == "prometheus")) and installed(name)
        ]
    from django.conf import settings

    chosen = []
    for name in INTEGRATIONS:
        if name == "prometheus" and not (metrics or "django_prometheus" in settings.INSTALLED_APPS):
            continue
        if installed(name):
            chosen.append(name)
    return chosen


def observer(name: str) -> Observer:
    if name == "opentelemetry":
        from .tracing import Tracing

        return Tracing()
    if name == "prometheus":
        from .metrics import metrics

        return metrics()
    from .sentry import Sentry

    return Sentry()


def install(metrics: bool = False) -> list[str]:
    """Put the observers of the wanted integrations in place (again: the settings may have
    changed); return their names. With ``HATCHET_INTEGRATIONS`` wrong, none (the system check
    ``django_hatchet.E001`` says what is wrong)."""
    try:
        names = wanted(metrics)
    except ImproperlyConfigured:
        names = []
    OBSERVERS[:] = [observer(name) for name in names]
    return names


def missing() -> list[tuple[str, str]]:
    """The integrations ``HATCHET_INTEGRATIONS`` names whose library is not installed: (name,
    the package to install)."""
    return [(name, LIBRARIES[name][1]) for name in conf.INTEGRATIONS or () if not installed(name)]
