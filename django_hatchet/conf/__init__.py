"""The one place django-hatchet reads its settings.

Every ``HATCHET_*`` setting is read lazily through :data:`conf`, so
``override_settings`` works, and validated on read: a value of the wrong type raises
``ImproperlyConfigured`` naming the setting. The system checks report the same
problems at start-up (``django_hatchet.E001``).

Each setting is declared once, with its default and validator, in :mod:`.spec`; this module
is the lazy object with one typed property per setting, and :func:`scrub`, which hides the
token it reads. Imports flow one way: every module that needs a setting (``embedded`` too)
reads it here, and this package imports none of them: the connection that
``runworker --embedded`` publishes is read here, and ``embedded`` only writes it.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .spec import (
    DEFAULT_MESSAGE_LIMIT,
    DEFAULT_REDACT_KEYS,
    RATE_LIMIT_PERIODS,
    SECRET_SETTINGS,
    SETTINGS,
    TLS_STRATEGIES,
    UNREACHABLE_POLICIES,
    SettingSpec,
    environ_value,
    setting_error,
)

__all__ = [
    "DEFAULT_MESSAGE_LIMIT",
    "DEFAULT_REDACT_KEYS",
    "RATE_LIMIT_PERIODS",
    "REDACTED",
    "SECRET_SETTINGS",
    "SETTINGS",
    "TLS_STRATEGIES",
    "UNREACHABLE_POLICIES",
    "SettingSpec",
    "Settings",
    "conf",
    "environ_value",
    "published_connection",
    "scrub",
    "setting_error",
]


_UNSET = object()


def _duration(value: timedelta | float) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


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
        value = getattr(settings, name, _UNSET)
        if value is _UNSET:
            try:
                value = environ_value(name)
            except ValueError as exc:
                raise ImproperlyConfigured(str(exc)) from None
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
    def EMBEDDED_CONNECTION_PATH(self) -> Path:
        """Where ``runworker --embedded`` publishes its engine's connection."""
        configured = self.EMBEDDED_CONNECTION_FILE
        if configured:
            return Path(configured)
        base = getattr(settings, "BASE_DIR", None)  # Django's, not ours.
        return Path(base or os.getcwd()) / ".hatchet-embedded.json"

    @property
    def EMBEDDED_CONNECTION(self) -> dict[str, Any] | None:
        """With ``HATCHET_EMBEDDED``: how to reach ``runworker --embedded``'s engine, if it runs."""
        if "embedded" not in self._cache:
            connection = None
            if self._get("HATCHET_EMBEDDED"):
                connection = published_connection(self.EMBEDDED_CONNECTION_PATH)
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
    def BACKGROUND_DISPATCH(self) -> bool:
        return self._get("HATCHET_BACKGROUND_DISPATCH")  # type: ignore[no-any-return]

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
    def CRON_SYNC_INTERVAL(self) -> timedelta:
        return _duration(self._get("HATCHET_CRON_SYNC_INTERVAL"))

    @property
    def WORKER_DRAIN_TIMEOUT(self) -> timedelta:
        return _duration(self._get("HATCHET_WORKER_DRAIN_TIMEOUT"))

    @property
    def INTEGRATIONS(self) -> tuple[str, ...] | None:
        """The integrations asked for; None: each one whose library is installed."""
        value = self._get("HATCHET_INTEGRATIONS")
        return None if value is None else tuple(value)

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


def published_connection(path: Path) -> dict[str, Any] | None:
    """Return the connection published at ``path``, if the process that owns the engine lives."""
    import json

    try:
        data = json.loads(path.read_text())
        os.kill(int(data["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return data  # type: ignore[no-any-return]


# Patterns, not compiled ones: ``re`` compiles them on first use (a scrub happens on an
# error), not at a web process's start-up.
#: Runs of characters that could be (part of) a token.
_WORD_RE = r"[A-Za-z0-9_\-.+/=]{8,}"
#: A JWT (a Hatchet token is one), or the start of one, wherever it comes from.
_JWT_RE = r"eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_\-.]*)?"
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
    text = re.sub(_JWT_RE, REDACTED, text)
    if not tokens:
        return text

    def hide(match: re.Match[str]) -> str:
        word = match.group(0)
        for token in tokens:
            if any(word[i : i + 12] in token for i in range(max(len(word) - 11, 1))):
                return REDACTED
        return word

    return re.sub(_WORD_RE, hide, text)


def _token_quietly() -> str | None:
    try:
        return conf.CLIENT_TOKEN
    except Exception:  # A misconfigured setting must not hide the error being reported.
        value = getattr(settings, "HATCHET_CLIENT_TOKEN", None)
        return value if isinstance(value, str) else None
