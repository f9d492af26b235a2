"""The engine's processes: started, watched until ready, stopped.

The engine is two programs: ``hatchet-engine`` (gRPC: workers and triggers) and
``hatchet-api`` (REST: the dashboard and the runs API). Each dies with the process that
started it (Linux's parent-death signal), even when that one is killed with SIGKILL.
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from . import LocalEngineError

_PR_SET_PDEATHSIG = 1


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def taken_port(*ports: int) -> int | None:
    """The first of these ports something listens on, or None."""
    return next((port for port in ports if port_in_use(port)), None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EngineProcesses:
    """The engine's programs, for one start; their output goes to ``write`` (line by line,
    prefixed with the program's name) or to ``log``."""

    def __init__(
        self,
        bin_dir: Path,
        config: Path,
        env: dict[str, str],
        ports: list[int],
        api: bool = True,
    ) -> None:
        self.commands = ["hatchet-engine", *(["hatchet-api"] if api else [])]
        self.bin_dir = bin_dir
        self.config = config
        self.env = env
        self.ports = ports
        self.processes: list[subprocess.Popen[str]] = []

    def start(self, write: Callable[[str], None] | None = None, log: Path | None = None) -> None:
        sink: IO[str] | int = subprocess.PIPE
        if log is not None:
            sink = log.open("a")
        for command in self.commands:
            process = subprocess.Popen(
                [str(self.bin_dir / command), "--config", str(self.config)],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                text=True,
                preexec_fn=_die_with_parent,
            )
            self.processes.append(process)
            if write is not None and process.stdout is not None:
                prefix = f"[{command.removeprefix('hatchet-')}] "
                threading.Thread(
                    target=_forward, args=(process.stdout, prefix, write), daemon=True
                ).start()
        if log is not None and not isinstance(sink, int):
            sink.close()  # The children hold their own copies.

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Return once every port answers; raise if a program exits or time runs out."""
        deadline = time.monotonic() + timeout
        for port in self.ports:
            while not port_in_use(port):
                for command, process in zip(self.commands, self.processes, strict=True):
                    if process.poll() is not None:
                        raise LocalEngineError(
                            f"{command} exited with status {process.returncode} while starting"
                        )
                if time.monotonic() > deadline:
                    raise LocalEngineError(
                        f"the engine did not answer on port {port} in {timeout:.0f} s"
                    )
                time.sleep(0.1)

    def wait(self, stop: threading.Event | None = None) -> str | None:
        """Block until a program exits (say which) or ``stop`` is set (None)."""
        while stop is None or not stop.is_set():
            for command, process in zip(self.commands, self.processes, strict=True):
                if process.poll() is not None:
                    return f"{command} exited with status {process.returncode}"
            time.sleep(0.2)
        return None

    def stop(self, timeout: float = 25.0) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _forward(stream: IO[str], prefix: str, write: Callable[[str], None]) -> None:
    for line in stream:
        write(prefix + line.rstrip("\n"))
