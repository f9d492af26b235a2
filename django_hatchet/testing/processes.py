"""Child processes for tests and benchmarks: a worker, an engine, anything that logs a line
when it is ready.

``ManagedProcess`` starts a command with its output in a log file (in a process group of its
own unless told otherwise), waits for a line in that log, and stops it: SIGTERM, then SIGKILL
after a bound. ``EngineProcess`` is ``scripts/hatchet-engine start`` on given ports and
database, which can be stopped and started again. Nothing here imports the Hatchet SDK.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "READY_LINE",
    "EngineProcess",
    "ManagedProcess",
    "NotReady",
    "read_env_file",
]

#: What ``runworker`` prints once it has registered its jobs and listens for runs (the SDK's
#: worker logs "'<name>' started, waiting for tasks...").
READY_LINE = "waiting for tasks"


class NotReady(Exception):
    """A process exited, or did not say it was ready in time; the message says which."""

    def __init__(self, message: str, returncode: int | None) -> None:
        super().__init__(message)
        #: The exit status if the process exited; None if it was still running.
        self.returncode = returncode


def read_env_file(path: Path) -> dict[str, str]:
    """Read the ``export NAME=value`` lines of a file (``scripts/hatchet-engine start`` writes
    the engine's ``HATCHET_CLIENT_*`` variables so)."""
    values = {}
    for line in path.read_text().splitlines():
        if line.startswith("export ") and "=" in line:
            key, _, value = line[len("export ") :].partition("=")
            values[key] = value.strip("'\"")
    return values


class ManagedProcess:
    """A child process with its output (stdout and stderr) in a log file.

    With ``new_group`` (the default) it runs in a process group of its own, and ``stop()``
    and ``kill()`` signal the whole group (the process and its children); without, they
    signal the process only, and it shares the caller's group (a Ctrl-C reaches it too).
    """

    def __init__(
        self,
        args: Sequence[str],
        log: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        new_group: bool = True,
        stop_timeout: float = 30,
        stdin: int | None = None,
    ) -> None:
        self.args = list(args)
        self.log = log
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.new_group = new_group
        self.stop_timeout = stop_timeout
        #: ``subprocess.DEVNULL`` for none; None: the caller's.
        self.stdin = stdin
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        """Start the process, its log truncated; return it."""
        if self._process is not None and self._process.poll() is None:
            raise RuntimeError(f"{self.args[0]} is running already (pid {self._process.pid})")
        with self.log.open("wb") as log:  # The child has its own copy of the descriptor.
            self._process = subprocess.Popen(
                self.args,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=self.stdin,
                start_new_session=self.new_group,
            )
        return self

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The running (or last) ``Popen``."""
        if self._process is None:
            raise RuntimeError(f"{self.args[0]} was never started")
        return self._process

    @property
    def pid(self) -> int:
        """Return the process id (its group's id too, with ``new_group``)."""
        return self.process.pid

    @property
    def running(self) -> bool:
        """Whether the process has not exited."""
        return self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit status, None while the process runs."""
        return self.process.poll()

    def output(self, start: int = 0) -> str:
        """Return what the process printed (from byte ``start`` of its log)."""
        with self.log.open("rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace")

    def size(self) -> int:
        """Return the size of the log in bytes (an offset for ``output()``)."""
        return self.log.stat().st_size

    def wait_for(self, text: str, timeout: float, interval: float = 0.1) -> None:
        """Wait until the log contains ``text``. If the process exits first, or ``timeout``
        seconds pass, stop it and raise NotReady."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            code = self.process.poll()
            if code is not None:
                raise NotReady(f"{self.log.name}: exited (status {code}) before {text!r}", code)
            if time.monotonic() > deadline:
                self.stop()
                raise NotReady(f"{self.log.name}: no {text!r} within {timeout:.0f} s", None)
            time.sleep(interval)

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the process only (not its group)."""
        self.process.send_signal(signum)

    def _signal_all(self, signum: int) -> None:
        try:
            if self.new_group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)
        except ProcessLookupError:  # Gone already, with all of its group.
            pass

    def stop(self, timeout: float | None = None) -> int | None:
        """Stop the process if it runs: SIGTERM, then SIGKILL after ``timeout`` seconds
        (``stop_timeout`` by default). Return its exit status."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._signal_all(signal.SIGTERM)
            try:
                self._process.wait(self.stop_timeout if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                self._signal_all(signal.SIGKILL)
                self._process.wait()
        return self._process.returncode

    def kill(self) -> int | None:
        """Kill the process (its whole group, with ``new_group``) with SIGKILL, as a crash or
        the OOM killer would, and reap it; return its exit status."""
        self._signal_all(signal.SIGKILL)
        return self.process.wait()

    def __repr__(self) -> str:
        state = "not started" if self._process is None else f"pid {self._process.pid}"
        return f"<{type(self).__name__} {self.args[0]} {state} log={self.log}>"


class EngineProcess:
    """``scripts/hatchet-engine start`` on given ports and database, in a process group of
    its own; ``stop()`` and ``start()`` again restart it on the same database.

    The engine is ready once it has written its ``HATCHET_CLIENT_*`` variables to
    ``directory/engine.env``; ``env`` keeps those of the first start (its token stays valid
    across restarts, as the database does).
    """

    def __init__(
        self,
        script: Path,
        directory: Path,
        *,
        grpc_port: int | str,
        api_port: int | str,
        database: str,
        log_name: str = "engine.log",
        stop_timeout: float = 30,
        env: dict[str, str] | None = None,
    ) -> None:
        self.script = script
        self.directory = directory
        self.grpc_port = str(grpc_port)
        self.api_port = str(api_port)
        self.database = database
        #: The log's file name in ``directory``; ``{start}`` is replaced by the start's number.
        self.log_name = log_name
        self.stop_timeout = stop_timeout
        #: Extra environment of the script (e.g. ``SERVER_*`` engine settings), read at each
        #: start, so it may change between starts.
        self.extra_env = dict(env or {})
        self.env_file = directory / "engine.env"
        self.env: dict[str, str] = {}
        self.starts = 0
        self.process: ManagedProcess | None = None

    @property
    def log(self) -> Path:
        """The log of the current (or last) start."""
        return self.directory / self.log_name.format(start=max(self.starts - 1, 0))

    def start(self, timeout: float) -> dict[str, str]:
        """Start the engine and wait until it has written its variables; return them. If it
        exits first, or ``timeout`` seconds pass, stop it and raise NotReady (with the end of
        its log)."""
        self.env_file.unlink(missing_ok=True)
        log = self.directory / self.log_name.format(start=self.starts)
        self.starts += 1
        env = {
            **os.environ,
            "HATCHET_ENGINE_DB": self.database,
            "HATCHET_ENGINE_GRPC_PORT": self.grpc_port,
            "HATCHET_ENGINE_API_PORT": self.api_port,
            "HATCHET_ENGINE_ENV_FILE": str(self.env_file),
            **self.extra_env,
        }
        process = ManagedProcess(
            [str(self.script), "start"], log, env=env, stop_timeout=self.stop_timeout
        )
        self.process = process.start()
        deadline = time.monotonic() + timeout
        while not self.env_file.exists():
            code = process.returncode
            if code is not None or time.monotonic() > deadline:
                process.stop()
                what = f"exited (status {code})" if code is not None else f"no start in {timeout} s"
                raise NotReady(
                    f"{self.script.name} start: {what}. Its log:\n{process.output()[-4000:]}", code
                )
            time.sleep(0.2)
        time.sleep(0.2)  # The file is written whole, but give the writer a moment.
        fresh = read_env_file(self.env_file)
        if not self.env:
            self.env = fresh
        return fresh

    def stop(self) -> None:
        """Stop the engine (its whole process group) if it runs."""
        if self.process is not None:
            self.process.stop()
            self.process = None
