"""The ``HATCHET_*`` settings: each one declared once, with its default and its validator.

``conf`` (this package's ``__init__``) reads them; the system checks report the same
problems at start-up (``django_hatchet.E001``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple


def _is_duration(value: object) -> bool:
    if isinstance(value, timedelta):
        return value > timedelta(0)
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


#: What ``.delay()`` does when the engine cannot be reached (``HATCHET_ON_UNREACHABLE``).
UNREACHABLE_POLICIES = ("outbox", "raise", "inline")

#: What ``HATCHET_INTEGRATIONS`` may name (``django_hatchet.integrations``).
INTEGRATIONS = ("opentelemetry", "prometheus", "sentry")

RATE_LIMIT_PERIODS = ("second", "minute", "hour", "day", "week", "month", "year")


def _is_rate_limits(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(key, str)
        and isinstance(limit, (tuple, list))
        and len(limit) == 2
        and isinstance(limit[0], int)
        and not isinstance(limit[0], bool)
        and limit[0] > 0
        and str(limit[1]).lower() in RATE_LIMIT_PERIODS
        for key, limit in value.items()
    )


def _is_str_list(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def _is_integrations(value: object) -> bool:
    return value is None or (
        isinstance(value, (list, tuple)) and all(v in INTEGRATIONS for v in value)
    )


#: Keys whose values the admin never shows (matched without case, anywhere in a key).
DEFAULT_REDACT_KEYS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "session",
    "credit_card",
    "card_number",
    "cvv",
    "private_key",
)


#: The values of HATCHET_CLIENT_TLS_STRATEGY the SDK knows.
TLS_STRATEGIES = ("tls", "mtls", "none")

#: Settings whose value is never shown in an error message.
SECRET_SETTINGS = frozenset({"HATCHET_CLIENT_TOKEN"})

#: The SDK's gRPC message limit (``HATCHET_CLIENT_GRPC_MAX_SEND_MESSAGE_LENGTH``), as the engine's.
DEFAULT_MESSAGE_LIMIT = 4 * 1024 * 1024


def environ_bool(text: str) -> bool:
    """A boolean setting's value from its environment variable's text."""
    word = text.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("neither true (1, true, yes, on) nor false (0, false, no, off, or empty)")


class SettingSpec(NamedTuple):
    """Declare a setting: its name, default, validator, and what a valid value is."""

    name: str
    default: Any
    is_valid: Callable[[object], bool]
    expected: str
    #: When the settings do not have it, the environment variable of its name stands in:
    #: this reads the variable's text (ValueError for text it cannot read).
    from_environ: Callable[[str], Any] | None = None


SETTINGS: dict[str, SettingSpec] = {
    spec.name: spec
    for spec in (
        SettingSpec(
            "HATCHET_CLIENT_TOKEN",
            None,
            lambda v: v is None or isinstance(v, str),
            "a string (the Hatchet API token) or None",
        ),
        SettingSpec("HATCHET_ALWAYS_INLINE", False, lambda v: isinstance(v, bool), "True or False"),
        SettingSpec(
            "HATCHET_EMBEDDED",
            False,
            lambda v: isinstance(v, bool),
            "True or False",
            environ_bool,
        ),
        SettingSpec(
            "HATCHET_EMBEDDED_CONNECTION_FILE",
            None,
            lambda v: v is None or isinstance(v, (str, os.PathLike)),
            "a path or None",
        ),
        SettingSpec(
            "HATCHET_ENQUEUE_ON_COMMIT", True, lambda v: isinstance(v, bool), "True or False"
        ),
        SettingSpec(
            "HATCHET_INLINE_PROPAGATE_EXCEPTIONS",
            False,
            lambda v: isinstance(v, bool),
            "True or False",
        ),
        SettingSpec(
            "HATCHET_AUTODISCOVER_MODULES",
            ("tasks", "jobs"),
            _is_str_list,
            'a list of module names, such as ["tasks", "jobs"]',
        ),
        *(
            SettingSpec(name, None, lambda v: v is None or isinstance(v, str), "a string or None")
            for name in (
                "HATCHET_CLIENT_HOST_PORT",
                "HATCHET_CLIENT_SERVER_URL",
                "HATCHET_CLIENT_NAMESPACE",
            )
        ),
        # The SDK silently connects without TLS for any value it does not know ("tsl").
        SettingSpec(
            "HATCHET_CLIENT_TLS_STRATEGY",
            None,
            lambda v: v is None or v in TLS_STRATEGIES,
            '"tls", "mtls", "none" or None',
        ),
        SettingSpec(
            "HATCHET_DEFAULT_TIMEOUT",
            timedelta(minutes=30),
            _is_duration,
            "a positive timedelta or number of seconds",
        ),
        SettingSpec(
            "HATCHET_DEFAULT_SCHEDULE_TIMEOUT",
            timedelta(hours=24),
            _is_duration,
            "a positive timedelta or number of seconds",
        ),
        SettingSpec(
            "HATCHET_WORKER_NAME",
            "django",
            lambda v: isinstance(v, str) and bool(v),
            "a non-empty string",
        ),
        SettingSpec(
            "HATCHET_WORKER_SLOTS",
            10,
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
            "a positive int",
        ),
        SettingSpec(
            "HATCHET_WORKER_LABELS",
            {},
            lambda v: (
                isinstance(v, dict)
                and all(
                    isinstance(k, str) and isinstance(x, (str, int)) and not isinstance(x, bool)
                    for k, x in v.items()
                )
            ),
            "a dict of label name to str or int",
        ),
        SettingSpec(
            "HATCHET_RATE_LIMITS",
            {},
            _is_rate_limits,
            'a dict of rate limit key to (limit, per), e.g. {"smtp": (100, "minute")}',
        ),
        SettingSpec(
            "HATCHET_WORKER_CONNECT_ATTEMPTS",
            10,
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
            "a positive int",
        ),
        SettingSpec(
            "HATCHET_DASHBOARD_URL",
            None,
            lambda v: v is None or (isinstance(v, str) and "{run_id}" in v),
            'None or a URL with "{run_id}" (and optionally "{tenant_id}") in it',
        ),
        SettingSpec(
            "HATCHET_ADMIN_REDACT_KEYS",
            DEFAULT_REDACT_KEYS,
            _is_str_list,
            'a list of key names, such as ["password", "token"]',
        ),
        SettingSpec(
            "HATCHET_ON_UNREACHABLE",
            "outbox",
            lambda v: v in UNREACHABLE_POLICIES,
            'one of "outbox", "raise" or "inline"',
        ),
        SettingSpec(
            "HATCHET_BACKGROUND_DISPATCH", True, lambda v: isinstance(v, bool), "True or False"
        ),
        SettingSpec(
            "HATCHET_DISPATCH_TIMEOUT",
            timedelta(seconds=5),
            _is_duration,
            "a positive timedelta or number of seconds",
        ),
        SettingSpec(
            "HATCHET_DISPATCH_ATTEMPTS",
            1,
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
            "a positive int",
        ),
        SettingSpec(
            "HATCHET_OUTBOX_RELAY_INTERVAL",
            timedelta(seconds=1),
            _is_duration,
            "a positive timedelta or number of seconds",
        ),
        SettingSpec(
            "HATCHET_WORKER_DRAIN_TIMEOUT",
            timedelta(seconds=60),
            _is_duration,
            "a positive timedelta or number of seconds",
        ),
        SettingSpec(
            "HATCHET_CRON_SYNC_INTERVAL",
            timedelta(seconds=10),
            _is_duration,
            "a positive timedelta or number of seconds",
        ),
        SettingSpec(
            "HATCHET_CRONS",
            {},
            lambda v: isinstance(v, dict),
            'a dict of cron name to {"job": ..., "schedule": ...}',
        ),
        SettingSpec(
            "HATCHET_INTEGRATIONS",
            None,
            _is_integrations,
            "None (each integration whose library is there) or a list of "
            + ", ".join(f'"{name}"' for name in INTEGRATIONS),
        ),
    )
}


def environ_value(name: str) -> Any:
    """The value of setting ``name`` when the settings do not have it: its environment
    variable's, for a setting that reads one, else its default. ValueError (saying so) for a
    variable that cannot be read."""
    spec = SETTINGS[name]
    text = os.environ.get(name)
    if spec.from_environ is None or text is None:
        return spec.default
    try:
        return spec.from_environ(text)
    except ValueError as exc:
        raise ValueError(f"The environment variable {name} is {text!r}, which is {exc}.") from None


def setting_error(name: str, value: object) -> str | None:
    """Return what is wrong with ``value`` for setting ``name``, or None."""
    spec = SETTINGS[name]
    if spec.is_valid(value):
        return None
    if name in SECRET_SETTINGS:
        return f"{name} must be {spec.expected}, not {type(value).__name__}."
    return f"{name} must be {spec.expected}, not {type(value).__name__} ({value!r})."
