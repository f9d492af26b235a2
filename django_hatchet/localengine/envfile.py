"""The file ``hatchet_engine start`` writes while its engine runs: the ``export`` lines that
connect a shell to it (``eval "$(python manage.py hatchet_engine env)"``), and its pid."""

from __future__ import annotations

import os
from pathlib import Path

from . import LocalEngineError


def write(path: Path, exports: dict[str, str], writer: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.touch(mode=0o600)
    lines = [f"# written by {writer}, pid {os.getpid()}, removed when it stops"]
    lines += [f"export {name}={value}" for name, value in exports.items()]
    temporary.write_text("\n".join(lines) + "\n")
    temporary.replace(path)


def remove(path: Path) -> None:
    """Remove the file if this process wrote it."""
    if owner(path) == os.getpid():
        path.unlink(missing_ok=True)


def owner(path: Path) -> int | None:
    """The pid that wrote the file, or None."""
    try:
        first = path.read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    _, found, rest = first.partition(", pid ")
    number = rest.split(",")[0]
    return int(number) if found and number.isdigit() else None


START = "Start one: python manage.py hatchet_engine start"


def read(path: Path) -> list[str]:
    """The ``export`` lines of a running engine's file, or say why there are none."""
    if not path.exists():
        raise LocalEngineError(f"No local engine is running (no {path}). {START}")
    pid = owner(path)
    if pid is None or not _alive(pid):
        raise LocalEngineError(f"The engine that wrote {path} is gone. {START}")
    return [line for line in path.read_text().splitlines() if line.startswith("export ")]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
