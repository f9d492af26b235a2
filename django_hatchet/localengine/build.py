"""Build the engine's commands from the Go module proxy, once per engine version.

``go install module/cmd@version`` would ask the proxy for the module's version list, which
a restricted proxy refuses; a throwaway module that requires the engine builds the same
commands. The engine's go.sum lines are pinned here, so the build verifies the module
without asking the checksum database, and its own go.sum pins its dependencies.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from . import ENGINE_VERSION, LocalEngineError
from .paths import COMMANDS, bin_dir, built, cache_dir
from .toolchain import require_go

MODULE = "github.com/hatchet-dev/hatchet"
MODULE_SUM = "h1:cdAkjeM7gvzj6zCjZICdSNo+pEL4EdbuSRUmWyWMK54="
GOMOD_SUM = "h1:5q0eDMcJQm1fImWscLR1Q2n7xBXR7J9c7U7uUP/JP9c="


class Progress(Protocol):
    """Where a build says how far it is: a phase, then a count within it."""

    def phase(self, text: str) -> None: ...

    def count(self, done: int, total: int) -> None: ...


def ensure_built(progress: Progress) -> Path:
    """Return the directory of the engine's commands, building them first if need be."""
    if built():
        return bin_dir()
    go = require_go()
    cache_dir().mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir() / ".build.lock"):
        if not built():  # Another process may have built it while this one waited.
            _build(go, progress)
    return bin_dir()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(go: str, progress: Progress) -> None:
    started = time.monotonic()
    _Build(go, progress).run()
    size = sum(f.stat().st_size for f in bin_dir().iterdir()) / 1e6
    progress.phase(
        f"built in {time.monotonic() - started:.0f} s: {size:.0f} MB of binaries in {bin_dir()}"
    )


class _Build:
    """One build, in a throwaway module under the cache directory, logged to build.log."""

    def __init__(self, go: str, progress: Progress) -> None:
        self.go = go
        self.progress = progress
        self.source = cache_dir() / "src"
        self.out = cache_dir() / "bin.tmp"
        self.log = cache_dir() / "build.log"
        self.env = {**os.environ, "GOFLAGS": "-mod=mod"}
        self.packages = [f"{MODULE}/cmd/{command}" for command in COMMANDS]

    def run(self) -> None:
        for path in (self.source, self.out):
            shutil.rmtree(path, ignore_errors=True)
            path.mkdir(parents=True)
        with self.log.open("w") as self.log_file:
            self.progress.phase(f"downloading the Hatchet engine {ENGINE_VERSION} ({MODULE})")
            self.go_run("mod", "init", "local/hatchet-engine-build")
            (self.source / "go.sum").write_text(
                f"{MODULE} {ENGINE_VERSION} {MODULE_SUM}\n"
                f"{MODULE} {ENGINE_VERSION}/go.mod {GOMOD_SUM}\n"
            )
            self.go_run("mod", "edit", f"-require={MODULE}@{ENGINE_VERSION}")
            self.go_run("mod", "download", MODULE)
            module_dir = self.go_run("list", "-m", "-f", "{{.Dir}}", MODULE).strip()
            with (self.source / "go.sum").open("a") as sums:
                sums.write(Path(module_dir, "go.sum").read_text())
            self.progress.phase("downloading its dependencies")
            total = len(self.go_run("list", "-deps", *self.packages).split())
            self.progress.phase(f"compiling {total} packages (the first time: a few minutes)")
            self.compile(total)
        shutil.rmtree(bin_dir(), ignore_errors=True)
        self.out.rename(bin_dir())
        shutil.rmtree(self.source, ignore_errors=True)

    def go_run(self, *args: str) -> str:
        result = subprocess.run(
            [self.go, *args], cwd=self.source, env=self.env, capture_output=True, text=True
        )
        self.log_file.write(f"$ go {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        self.log_file.flush()
        if result.returncode:
            raise _failed(self.log, f"`go {' '.join(args)}` failed")
        return result.stdout

    def compile(self, total: int) -> None:
        """``go build -v`` names each package as it compiles it: the count to show."""
        flags = f"-s -w -X main.Version={ENGINE_VERSION}"
        command = [self.go, "build", "-v", "-trimpath", "-ldflags", flags, "-o", f"{self.out}/"]
        done = 0
        with subprocess.Popen(
            [*command, *self.packages],
            cwd=self.source,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                self.log_file.write(line)
                if not line.startswith((" ", "#")):
                    done += 1
                    self.progress.count(min(done, total), total)
        if process.returncode:
            shutil.rmtree(self.out, ignore_errors=True)
            raise _failed(self.log, "compiling the engine failed")


def _failed(log: Path, what: str) -> LocalEngineError:
    tail = "\n".join(log.read_text().splitlines()[-25:])
    return LocalEngineError(f"{what}; the end of its log ({log}):\n{tail}")
