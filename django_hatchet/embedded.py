"""Embedded development mode: one local engine shared by ``runworker --embedded`` and the
web process, with no token and no Docker.

``runworker --embedded`` starts the engine through the SDK's embedded mode and publishes how
to connect to it in a file; a process with ``HATCHET_EMBEDDED = True`` and no token reads that
file. The mode is never implicit: it needs the flag in the worker and the setting elsewhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings


def connection_file() -> Path:
    from .conf import conf

    configured = conf.EMBEDDED_CONNECTION_FILE
    if configured:
        return Path(configured)
    base = getattr(settings, "BASE_DIR", None)  # Django's, not ours.
    return Path(base or os.getcwd()) / ".hatchet-embedded.json"


def publish(connection: dict[str, str]) -> Path:
    """Write how to reach the engine this process owns (readable by its user only)."""
    path = connection_file()
    temporary = path.with_suffix(".tmp")
    temporary.touch(mode=0o600)
    temporary.write_text(json.dumps({**connection, "pid": os.getpid()}))
    temporary.replace(path)
    return path


def withdraw() -> None:
    path = connection_file()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if data.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def read() -> dict[str, Any] | None:
    """The published connection, if the process that owns the engine is still alive."""
    try:
        data = json.loads(connection_file().read_text())
        os.kill(int(data["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return data  # type: ignore[no-any-return]
