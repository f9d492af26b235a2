"""The one place django-hatchet reads its settings.

Every ``HATCHET_*`` setting is read lazily through :data:`conf`, so
``override_settings`` works, and validated on read: a value of the wrong type raises
``ImproperlyConfigured`` naming the setting. The system checks report the same
problems at start-up (``django_hatchet.E001``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _is_duration(value: object) -> bool:
    if isinstance(value, timedelta):
        return value > timedelta(0)
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _duration(value: timedelta | float) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


#: What ``.delay()`` does when the engine cannot be reached (``HATCHET_ON_UNREACHABLE``).
UNREACHABLE_POLICIES = ("outbox", "raise", "inline")

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


class SettingSpec(NamedTuple):
    name: str
    default: Any
    is_valid: Callable[[object], bool]
    expected: str


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
        SettingSpec("HATCHET_EMBEDDED", False, lambda v: isinstance(v, bool), "True or False"),
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
            "HATCHET_CRONS",
            {},
            lambda v: isinstance(v, dict),
            'a dict of cron name to {"job": ..., "schedule": ...}',
        ),
    )
}


def setting_error(name: str, value: object) -> str | None:
    """Return what is wrong with ``value`` for setting ``name``, or None."""
    spec = SETTINGS[name]
    if spec.is_valid(value):
        return None
    if name in SECRET_SETTINGS:
        return f"{name} must be {spec.expected}, not {type(value).__name__}."
    return f"{name} must be {spec.expected}, not {type(value).__name__} ({value!r})."


class Settings:
    """Lazy, cached, validated access to the ``HATCHET_*`` settings.

    The cache is cleared on Django's ``setting_changed`` signal (see ``apps.py``) and by
    :meth:`reset`, so tests that change settings or the environment see the new values.
    """

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def reset(self) -> None:
        self._cache.clear()

    def _get(self, name: str) -> Any:
        try:
            return self._cache[name]
        except KeyError:
            pass
        value = getattr(settings, name, SETTINGS[name].default)
        error = setting_error(name, value)
        if error:
            raise ImproperlyConfigured(error)
        self._cache[name] = value
        return value

    @property
    def CLIENT_TOKEN(self) -> str | None:
        """The Hatchet token: the Django setting, else the environment; '' counts as unset."""
        try:
            return self._cache["token"]  # type: ignore[no-any-return]
        except KeyError:
            pass
        token = self._get("HATCHET_CLIENT_TOKEN") or os.environ.get("HATCHET_CLIENT_TOKEN") or None
        if token is None and self.EMBEDDED_CONNECTION:
            token = self.EMBEDDED_CONNECTION["token"]
        self._cache["token"] = token
        return token

    @property
    def EMBEDDED_CONNECTION_FILE(self) -> str | None:
        value = self._get("HATCHET_EMBEDDED_CONNECTION_FILE")
        return None if value is None else str(value)

    @property
    def EMBEDDED_CONNECTION(self) -> dict[str, Any] | None:
        """With ``HATCHET_EMBEDDED``: how to reach ``runworker --embedded``'s engine, if it runs."""
        if "embedded" not in self._cache:
            connection = None
            if self._get("HATCHET_EMBEDDED"):
                from . import embedded

                connection = embedded.read()
            self._cache["embedded"] = connection
        return self._cache["embedded"]  # type: ignore[no-any-return]

    @property
    def TOKEN_SOURCE(self) -> str | None:
        """Where the token comes from: 'settings', 'environment', 'embedded', or None."""
        if self._get("HATCHET_CLIENT_TOKEN"):
            return "settings"
        if os.environ.get("HATCHET_CLIENT_TOKEN"):
            return "environment"
        if self.EMBEDDED_CONNECTION:
            return "embedded"
        return None

    @property
    def ALWAYS_INLINE(self) -> bool:
        return self._get("HATCHET_ALWAYS_INLINE")  # type: ignore[no-any-return]

    @property
    def ENQUEUE_ON_COMMIT(self) -> bool:
        return self._get("HATCHET_ENQUEUE_ON_COMMIT")  # type: ignore[no-any-return]

    @property
    def INLINE_PROPAGATE_EXCEPTIONS(self) -> bool:
        return self._get("HATCHET_INLINE_PROPAGATE_EXCEPTIONS")  # type: ignore[no-any-return]

    @property
    def AUTODISCOVER_MODULES(self) -> tuple[str, ...]:
        return tuple(self._get("HATCHET_AUTODISCOVER_MODULES"))

    @property
    def CRONS(self) -> dict[str, Any]:
        return self._get("HATCHET_CRONS")  # type: ignore[no-any-return]

    @property
    def CLIENT_OPTIONS(self) -> dict[str, str]:
        """Connection settings given in Django's settings (the SDK reads the rest from the
        environment), by ``ClientConfig`` field name."""
        options: dict[str, str] = {}
        connection = self.EMBEDDED_CONNECTION
        if connection and not (
            self._get("HATCHET_CLIENT_TOKEN") or os.environ.get("HATCHET_CLIENT_TOKEN")
        ):
            options.update(
                host_port=connection["host_port"],
                server_url=connection["server_url"],
                tls_strategy="none",
            )
        for field in ("host_port", "server_url", "tls_strategy", "namespace"):
            value = self._get(f"HATCHET_CLIENT_{field.upper()}")
            if value is not None:
                options[field] = value
        return options

    @property
    def DASHBOARD_URL(self) -> str | None:
        """A run's page in Hatchet's dashboard, with ``{run_id}`` and ``{tenant_id}``."""
        return self._get("HATCHET_DASHBOARD_URL")  # type: ignore[no-any-return]

    @property
    def ADMIN_REDACT_KEYS(self) -> tuple[str, ...]:
        return tuple(k.lower() for k in self._get("HATCHET_ADMIN_REDACT_KEYS"))

    @property
    def DEFAULT_TIMEOUT(self) -> timedelta:
        return _duration(self._get("HATCHET_DEFAULT_TIMEOUT"))

    @property
    def DEFAULT_SCHEDULE_TIMEOUT(self) -> timedelta:
        return _duration(self._get("HATCHET_DEFAULT_SCHEDULE_TIMEOUT"))

    @property
    def WORKER_NAME(self) -> str:
        return self._get("HATCHET_WORKER_NAME")  # type: ignore[no-any-return]

    @property
    def WORKER_SLOTS(self) -> int:
        return self._get("HATCHET_WORKER_SLOTS")  # type: ignore[no-any-return]

    @property
    def WORKER_LABELS(self) -> dict[str, str | int]:
        return dict(self._get("HATCHET_WORKER_LABELS"))

    @property
    def RATE_LIMITS(self) -> dict[str, tuple[int, str]]:
        return {k: (v[0], str(v[1]).lower()) for k, v in self._get("HATCHET_RATE_LIMITS").items()}

    @property
    def WORKER_CONNECT_ATTEMPTS(self) -> int:
        return self._get("HATCHET_WORKER_CONNECT_ATTEMPTS")  # type: ignore[no-any-return]

    @property
    def ON_UNREACHABLE(self) -> str:
        return self._get("HATCHET_ON_UNREACHABLE")  # type: ignore[no-any-return]

    @property
    def DISPATCH_TIMEOUT(self) -> timedelta:
        return _duration(self._get("HATCHET_DISPATCH_TIMEOUT"))

    @property
    def DISPATCH_ATTEMPTS(self) -> int:
        return self._get("HATCHET_DISPATCH_ATTEMPTS")  # type: ignore[no-any-return]

    @property
    def OUTBOX_RELAY_INTERVAL(self) -> timedelta:
        return _duration(self._get("HATCHET_OUTBOX_RELAY_INTERVAL"))

    @property
    def WORKER_DRAIN_TIMEOUT(self) -> timedelta:
        return _duration(self._get("HATCHET_WORKER_DRAIN_TIMEOUT"))

    @property
    def MESSAGE_LIMIT(self) -> int:
        """The largest message the SDK sends to the engine, in bytes."""
        try:
            return self._cache["message_limit"]  # type: ignore[no-any-return]
        except KeyError:
            pass
        raw = os.environ.get("HATCHET_CLIENT_GRPC_MAX_SEND_MESSAGE_LENGTH", "")
        limit = int(raw) if raw.strip().isdigit() else DEFAULT_MESSAGE_LIMIT
        self._cache["message_limit"] = limit
        return limit

    @property
    def INLINE(self) -> bool:
        """True when jobs run in the calling process instead of on an engine."""
        try:
            return self._cache["inline"]  # type: ignore[no-any-return]
        except KeyError:
            pass
        inline = self.ALWAYS_INLINE or self.CLIENT_TOKEN is None
        self._cache["inline"] = inline
        return inline


conf = Settings()

#: Runs of characters that could be (part of) a token.
_WORD_RE = re.compile(r"[A-Za-z0-9_\-.+/=]{8,}")
#: A JWT (a Hatchet token is one), or the start of one, wherever it comes from.
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_\-.]*)?")
REDACTED = "********"


def scrub(text: str) -> str:
    """``text`` without the Hatchet token, any 12 characters of it, or anything that looks
    like a JWT: for error messages and log lines, which may quote a token whole or cut
    (pydantic's errors show the start and end of a long value)."""
    tokens = []
    for token in (_token_quietly(), os.environ.get("HATCHET_CLIENT_TOKEN")):
        if token and token not in tokens:
            tokens.append(token)
            text = text.replace(token, REDACTED)
    text = _JWT_RE.sub(REDACTED, text)
    if not tokens:
        return text

    def hide(match: re.Match[str]) -> str:
        word = match.group(0)
        for token in tokens:
            if any(word[i : i + 12] in token for i in range(max(len(word) - 11, 1))):
                return REDACTED
        return word

    return _WORD_RE.sub(hide, text)


def _token_quietly() -> str | None:
    try:
        return conf.CLIENT_TOKEN
    except Exception:  # A misconfigured setting must not hide the error being reported.
        value = getattr(settings, "HATCHET_CLIENT_TOKEN", None)
        return value if isinstance(value, str) else None
