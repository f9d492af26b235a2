"""Where the local engine's files live, shared with ``scripts/hatchet-engine`` (same
variables, same layout): the binaries per engine version, the keys per database."""

from __future__ import annotations

import os
import re
from pathlib import Path

from . import ENGINE_VERSION

#: The engine's commands: the admin CLI (keys, tenant, tokens), migrations, the engine
#: (gRPC, scheduling) and its REST API (the dashboard's and the runs API's).
COMMANDS = ("hatchet-admin", "hatchet-migrate", "hatchet-engine", "hatchet-api")


def _xdg(variable: str, default: str) -> Path:
    return Path(os.environ.get(variable) or Path.home() / default)


def cache_dir() -> Path:
    """The build's directory: ``HATCHET_ENGINE_CACHE_DIR``, or the user's cache."""
    explicit = os.environ.get("HATCHET_ENGINE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return _xdg("XDG_CACHE_HOME", ".cache") / "django-hatchet" / f"hatchet-{ENGINE_VERSION}"


def bin_dir() -> Path:
    return cache_dir() / "bin"


def built() -> bool:
    """Whether every command of the engine is built."""
    return all(os.access(bin_dir() / command, os.X_OK) for command in COMMANDS)


def state_root() -> Path:
    explicit = os.environ.get("HATCHET_ENGINE_STATE_DIR")
    if explicit:
        return Path(explicit)
    return _xdg("XDG_STATE_HOME", ".local/state") / "django-hatchet" / "hatchet-engine"


def state_dir_for(database_url: str) -> Path:
    """The keys' directory of the engine on this database: a token is minted with the keys
    the engine on that database verifies it with. The user and password are left out."""
    key = re.sub(r"^[a-z]+://", "", database_url)
    key = re.sub(r"^[^@]*@", "", key)
    key = re.sub(r"\?.*$", "", key)
    return state_root() / re.sub(r"[^A-Za-z0-9._-]+", "_", key)
