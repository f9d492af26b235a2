from __future__ import annotations

import sys
from pathlib import Path

from django_hatchet.worker.reloader import changed, child_command, snapshot, watched_files


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
