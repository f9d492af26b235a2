"""A local Hatchet engine for development and CI, with no Docker: the engine's own commands
built from the Go module proxy and run on a PostgreSQL (``manage.py hatchet_engine``).

- ``toolchain``: the Go that builds it, checked up front;
- ``paths``: where the binaries and each database's keys live;
- ``build`` and ``progress``: the build, once per engine version, and what it shows;
- ``database``: the engine's PostgreSQL database, given or made;
- ``keys``: migrations, keys, tenant and token; ``engine`` and ``process``: the programs;
- ``envfile`` and ``serve``: a foreground engine and the file that connects shells to it;
- ``sidecar`` and ``cli``: ``django-hatchet-engine``, for the SDK's embedded mode and
  ``scripts/hatchet-engine``.

Nothing here imports the Hatchet SDK: the engine is a separate program.
"""

from __future__ import annotations

#: The engine this package builds and runs: github.com/hatchet-dev/hatchet at this version.
ENGINE_VERSION = "v0.105.0"
#: Its go.mod's ``go`` line: the oldest Go that builds it.
GO_MINIMUM = (1, 26)


class LocalEngineError(Exception):
    """What stops the local engine, said as what to do about it."""
