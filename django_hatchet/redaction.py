"""What is never shown outside the process: the values of secret keys in a run's arguments
(``HATCHET_ADMIN_REDACT_KEYS``) and the Hatchet token, wherever run data is shown or sent
(the admin, an error report)."""

from __future__ import annotations

from typing import Any

from .conf import REDACTED, conf
from .conf import scrub as scrub_token


def is_secret(key: str, keys: tuple[str, ...]) -> bool:
    name = key.lower().replace("-", "_")
    return any(k in name for k in keys)


def redact(value: Any, keys: tuple[str, ...] | None = None) -> Any:
    """``value`` with the value of every key named in ``HATCHET_ADMIN_REDACT_KEYS`` replaced,
    at any depth, and the token scrubbed from its strings."""
    keys = conf.ADMIN_REDACT_KEYS if keys is None else keys
    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(k, str) and is_secret(k, keys) else redact(v, keys)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, keys) for v in value]
    if isinstance(value, str):
        return scrub_token(value)
    return value
