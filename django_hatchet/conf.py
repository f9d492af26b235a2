"""The one place django-hatchet reads its settings.

Every ``HATCHET_*`` setting is read lazily through :data:`conf`, so
``override_settings`` works, and validated on read: a value of the wrong type raises
``ImproperlyConfigured`` naming the setting. The system checks report the same
problems at start-up (``django_hatchet.E001``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _is_str_list(value: object) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


@dataclass(frozen=True)
class SettingSpec:
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
        self._cache["token"] = token
        return token

    @property
    def TOKEN_SOURCE(self) -> str | None:
        """Where the token comes from: 'settings', 'environment', or None."""
        if self._get("HATCHET_CLIENT_TOKEN"):
            return "settings"
        if os.environ.get("HATCHET_CLIENT_TOKEN"):
            return "environment"
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
