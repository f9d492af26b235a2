"""Embedded development mode: one local engine shared by ``runworker --embedded`` and the
web process, with no token and no Docker.

``runworker --embedded`` starts the engine through the SDK's embedded mode and publishes how
to connect to it in a file; a process with ``HATCHET_EMBEDDED = True`` and no token reads that
file. The mode is never implicit: it needs the flag in the worker and the setting elsewhere.

This module reads its settings through ``conf``, which reads the published connection
(``conf.EMBEDDED_CONNECTION``) and never imports this module: here it is only written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .conf import conf, published_connection


def connection_file() -> Path:
    """Return where the connection is published (``HATCHET_EMBEDDED_CONNECTION_FILE``)."""
    return conf.EMBEDDED_CONNECTION_PATH


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
    return published_connection(connection_file())
