from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from django_hatchet.testing.processes import ManagedProcess
from django_hatchet.worker.reloader import (
    changed,
    child_command,
    files_beside,
    snapshot,
    watched_files,
)

ROOT = Path(__file__).resolve().parent.parent


def test_child_command_drops_only_the_reload_flag():
    argv = ["manage.py", "runworker", "--reload", "--slots", "3"]
    assert child_command(argv) == [sys.executable, "manage.py", "runworker", "--slots", "3"]


def test_changed_finds_a_modified_or_removed_file(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("")
    b.write_text("")
    before = snapshot([a, b])
    assert changed(before, snapshot([a, b])) is None
    before[a] -= 10
    assert changed(before, snapshot([a, b])) == a
    b.unlink()
    assert changed(snapshot([a]) | {b: 1.0}, snapshot([a, b])) == b


def test_watched_files_include_the_jobs_modules():
    import tests.testapp.tasks

    assert Path(tests.testapp.tasks.__file__).resolve() in {p.resolve() for p in watched_files()}


# Surviving a broken save, with a fake worker (no engine) ---------------------------------------

#: A worker that "imports" jobs.py: it exits with the error if the file does not compile, as
#: runworker does when a jobs module fails to import, and otherwise runs until SIGTERM.
FAKE_WORKER = """
import signal, sys, time
source = sys.argv[1]
compile(open(source).read(), source, "exec")
print("fake worker ready", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(0.05)
"""

#: ``runworker --reload``'s parent, watching jobs.py only.
SUPERVISOR = """
import sys
from pathlib import Path
from django_hatchet.worker.reloader import Reloader

jobs, worker = sys.argv[1], sys.argv[2]
code = Reloader(
    [sys.executable, worker, jobs],
    lambda text: print(text, flush=True),
    interval=0.05,
    files=lambda: [Path(jobs)],
).run()
print(f"supervisor exits with {code}", flush=True)
sys.exit(code)
"""


def save(path: Path, text: str, mtime: float) -> None:
    path.write_text(text)
    os.utime(path, (mtime, mtime))  # A new time, whatever the file system's resolution.


def test_a_save_with_a_syntax_error_waits_for_the_fix_then_restarts(tmp_path):
    jobs, worker, supervisor = tmp_path / "jobs.py", tmp_path / "worker.py", tmp_path / "sup.py"
    save(jobs, "x = 1\n", 1_000_000)
    worker.write_text(FAKE_WORKER)
    supervisor.write_text(SUPERVISOR)
    process = ManagedProcess(
        [sys.executable, str(supervisor), str(jobs), str(worker)],
        tmp_path / "out.log",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).start()
    try:
        process.wait_for("fake worker ready", 30)
        save(jobs, "x = (\n", 1_000_010)
        process.wait_for("SyntaxError", 30)
        process.wait_for("The worker exited with status 1", 30)
        time.sleep(0.3)
        assert process.running, process.output()  # Waiting for the fix, not gone.
        save(jobs, "x = 2\n", 1_000_020)
        assert wait_until(lambda: process.output().count("fake worker ready") == 2), (
            process.output()
        )
        assert f"{jobs} changed: starting the worker again" in process.output()
    finally:
        process.signal(signal.SIGTERM)
        assert process.process.wait(30) == 0, process.output()
    assert "supervisor exits with 0" in process.output()


def test_files_beside_the_projects_modules_are_watched_after_a_failure(tmp_path):
    (tmp_path / "models.py").write_text("")
    (tmp_path / "new_module.py").write_text("")
    beside = files_beside([tmp_path / "models.py", Path(os.__file__)])
    assert tmp_path / "new_module.py" in beside
    assert Path(os.__file__).parent / "json" / "__init__.py" not in beside
    assert not any(path.parent == Path(os.__file__).parent for path in beside)  # Not stdlib.


def wait_until(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
