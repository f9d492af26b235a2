"""The Go that builds the engine: found and checked before anything starts."""

from __future__ import annotations

import re
import shutil
import subprocess

from . import ENGINE_VERSION, GO_MINIMUM, LocalEngineError

_WANTED = ".".join(map(str, GO_MINIMUM))

WITHOUT_GO = (
    "Without Go, run the engine elsewhere and give this project its token "
    "(HATCHET_CLIENT_TOKEN): a self-hosted Hatchet engine "
    "(https://docs.hatchet.run/self-hosting) or Hatchet Cloud (https://cloud.hatchet.run). "
    "Where GitHub is reachable, `runworker --embedded` with HATCHET_CLIENT_EMBEDDED_BINARY_PATH "
    "unset lets the Hatchet SDK download its own engine instead. Until then, jobs run inline."
)


def parse_version(output: str) -> tuple[int, int] | None:
    """``go version`` says ``go version go1.26.8 linux/amd64``: (1, 26)."""
    found = re.search(r"\bgo(\d+)\.(\d+)", output)
    return (int(found[1]), int(found[2])) if found else None


def require_go() -> str:
    """Return the path of a Go new enough to build the engine, or say what to do."""
    go = shutil.which("go")
    if go is None:
        raise LocalEngineError(
            f"Building the Hatchet engine {ENGINE_VERSION} needs Go {_WANTED} or newer, and "
            "there is no `go` on the PATH. Install it (https://go.dev/dl/, or your "
            f"distribution's package if it is {_WANTED} or newer), then run this again. "
            + WITHOUT_GO
        )
    try:
        output = subprocess.run(
            [go, "version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise LocalEngineError(f"`{go} version` failed ({exc}); is it a working Go?") from None
    version = parse_version(output)
    if version is None:
        raise LocalEngineError(f"`{go} version` said {output.strip()!r}: not a Go version.")
    if version < GO_MINIMUM:
        raise LocalEngineError(
            f"The Hatchet engine {ENGINE_VERSION} needs Go {_WANTED} or newer (its go.mod says "
            f"so), and {go} is Go {version[0]}.{version[1]}. Install a newer Go "
            f"(https://go.dev/dl/) and put it first on the PATH. " + WITHOUT_GO
        )
    return go
