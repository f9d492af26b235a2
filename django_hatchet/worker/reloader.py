"""``runworker --reload``: restart the worker when code changes.

Django's autoreloader runs a command in a thread, but the SDK's worker must own the main
thread (it installs signal handlers). So here the parent process only watches files and runs
the real worker as a child process, stopping it gracefully (SIGTERM, which drains the runs in
flight) and starting a new one when a watched file changes. A worker that fails (a save
with a syntax or import error) is not the end: as Django's ``runserver`` does, the parent
says so and starts it again at the next change.
"""

from __future__ import annotations

import signal
import site
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType

from django.utils import autoreload

RELOAD_FLAG = "--reload"


def child_command(argv: list[str]) -> list[str]:
    """The command line of the worker itself: this one, without ``--reload``."""
    return [sys.executable, *(a for a in argv if a != RELOAD_FLAG)]


def watched_files() -> set[Path]:
    """Every Python module this process imported (the project, apps and their jobs)."""
    return set(autoreload.iter_all_python_module_files())


def files_beside(files: Iterable[Path]) -> set[Path]:
    """The Python files in the directories of the project's ``files`` (not those of the
    standard library or of installed packages): where an error may be that the worker met in
    a module this process never imported."""
    installed = {Path(p).resolve() for p in sysconfig.get_paths().values()}
    installed.add(Path(site.getusersitepackages()).resolve())
    directories = {path.parent for path in files}
    return {
        path
        for directory in directories
        if not _under(directory, installed)
        for path in directory.glob("*.py")
    }


def _under(directory: Path, roots: set[Path]) -> bool:
    resolved = directory.resolve()  # Once per directory, not once per root.
    return any(resolved.is_relative_to(root) for root in roots)


def snapshot(files: Iterable[Path]) -> dict[Path, float]:
    mtimes = {}
    for path in files:
        try:
            mtimes[path] = path.stat().st_mtime
        except OSError:
            continue
    return mtimes


def changed(before: dict[Path, float], after: dict[Path, float]) -> Path | None:
    for path, mtime in after.items():
        if before.get(path, mtime) != mtime:
            return path
    return next(iter(before.keys() - after.keys()), None)


class Reloader:
    """Run ``command`` and restart it whenever one of the watched files changes."""

    def __init__(
        self,
        command: list[str],
        write: Callable[[str], None],
        *,
        interval: float = 1.0,
        stop_timeout: float = 60.0,
        files: Callable[[], Iterable[Path]] = watched_files,
    ) -> None:
        self.command = command
        self.write = write
        self.interval = interval
        self.stop_timeout = stop_timeout
        #: The files to watch (read again at each start).
        self.files = files
        self._stopping = False

    def run(self) -> int:
        """Supervise until SIGTERM or SIGINT; return the exit code."""
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            while True:
                files = snapshot(self.files())
                # Its own session: a Ctrl-C reaches this process only, which stops the
                # worker with one SIGTERM (a second signal would force the worker's stop).
                child = subprocess.Popen(self.command, start_new_session=True)
                path = self._watch(files, child)
                if path is not None:
                    self.write(
                        f"{path} changed: restarting the worker (it finishes its runs first)."
                    )
                    self._stop_child(child)
                elif self._stopping or child.returncode == 0:
                    return self._finish(child)
                elif not self._wait_for_a_fix(child, files):
                    return 0  # Stopped while waiting.
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _watch(
        self, files: dict[Path, float], child: subprocess.Popen[bytes] | None = None
    ) -> Path | None:
        """Wait for a file to change, and return it; None once stopping or ``child`` exits."""
        while not self._stopping and (child is None or child.poll() is None):
            time.sleep(self.interval)
            path = changed(files, snapshot(files))
            if path is not None:
                return path
        return None

    def _wait_for_a_fix(self, child: subprocess.Popen[bytes], files: dict[Path, float]) -> bool:
        """The worker failed by itself (its error is above): wait for a change; return
        False if stopped meanwhile."""
        self.write(
            f"The worker exited with status {child.returncode}. Waiting for a file to change "
            "to start it again (Ctrl-C to stop)."
        )
        files |= snapshot(files_beside(files).difference(files))
        path = self._watch(files)
        if path is None:
            return False
        self.write(f"{path} changed: starting the worker again.")
        return True

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _stop_child(self, child: subprocess.Popen[bytes]) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.write(f"The worker did not stop within {self.stop_timeout:.0f} s; killing it.")
                child.kill()
                child.wait()

    def _finish(self, child: subprocess.Popen[bytes]) -> int:
        exited_by_itself = child.poll() is not None
        self._stop_child(child)
        if not exited_by_itself and child.returncode == -signal.SIGTERM:
            return 0  # Stopped by our SIGTERM before it could install its own handler.
        return child.returncode if child.returncode is not None else 0


def reload_worker(write: Callable[[str], None]) -> int:
    """Run the current command line without ``--reload`` under a Reloader."""
    write("Watching for code changes; the worker restarts when a file changes (--reload).")
    return Reloader(child_command(list(sys.argv)), write).run()
