"""django_hatchet.testing.processes, on small stand-in processes (no engine, no worker)."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from django_hatchet.testing.processes import (
    READY_LINE,
    EngineProcess,
    ManagedProcess,
    NotReady,
    read_env_file,
)


def python(code: str) -> list[str]:
    return [sys.executable, "-u", "-c", textwrap.dedent(code)]


def test_the_ready_line_is_what_runworker_prints():
    # The SDK's worker logs it ("'<name>' started, waiting for tasks..."); not imported here.
    spec = importlib.util.find_spec("hatchet_sdk")
    assert spec is not None
    assert spec.submodule_search_locations
    [package] = spec.submodule_search_locations
    source = Path(package, "worker", "runner", "run_loop_manager.py").read_text()
    assert f"started, {READY_LINE}..." in source


def test_read_env_file_reads_the_export_lines(tmp_path):
    path = tmp_path / "engine.env"
    path.write_text(
        "# written by scripts/hatchet-engine\n"
        "export HATCHET_CLIENT_TOKEN='a.b.c'\n"
        'export HATCHET_CLIENT_HOST_PORT="localhost:7077"\n'
        "HATCHET_IGNORED=1\n"
    )
    assert read_env_file(path) == {
        "HATCHET_CLIENT_TOKEN": "a.b.c",
        "HATCHET_CLIENT_HOST_PORT": "localhost:7077",
    }


def test_a_process_in_its_own_group_is_waited_for_and_stopped(tmp_path):
    process = ManagedProcess(
        python("import time; print('ready', flush=True); time.sleep(60)"), tmp_path / "p.log"
    ).start()
    try:
        process.wait_for("ready", 30)
        assert process.running
        assert os.getpgid(process.pid) == process.pid
        assert process.output().startswith("ready")
        assert process.output(process.size()) == ""
    finally:
        code = process.stop()
    assert code == -signal.SIGTERM
    assert not process.running


def test_a_process_in_the_callers_group(tmp_path):
    process = ManagedProcess(
        python("import time; time.sleep(60)"), tmp_path / "p.log", new_group=False
    ).start()
    try:
        assert os.getpgid(process.pid) == os.getpgid(0)
    finally:
        assert process.stop() == -signal.SIGTERM


def test_stop_kills_what_ignores_sigterm_after_the_bound(tmp_path):
    process = ManagedProcess(
        python(
            """
            import signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print("ignoring", flush=True)
            time.sleep(60)
            """
        ),
        tmp_path / "p.log",
        stop_timeout=0.5,
    ).start()
    process.wait_for("ignoring", 30)
    assert process.stop() == -signal.SIGKILL


def test_kill_kills_the_whole_group(tmp_path):
    process = ManagedProcess(
        python(
            """
            import subprocess, sys, time
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            print("child", child.pid, flush=True)
            time.sleep(60)
            """
        ),
        tmp_path / "p.log",
    ).start()
    process.wait_for("child", 30)
    child = int(process.output().split()[1])
    assert process.kill() == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while alive(child):
        assert time.monotonic() < deadline, "the child outlived its group's SIGKILL"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, killed and not reaped yet, does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_wait_for_raises_when_the_process_exits_first(tmp_path):
    process = ManagedProcess(
        python("import sys; print('bye'); sys.exit(3)"), tmp_path / "p.log"
    ).start()
    with pytest.raises(NotReady, match="exited") as raised:
        process.wait_for(READY_LINE, 30)
    assert raised.value.returncode == 3
    assert "bye" in process.output()


def test_wait_for_stops_the_process_after_the_timeout(tmp_path):
    process = ManagedProcess(python("import time; time.sleep(60)"), tmp_path / "p.log").start()
    with pytest.raises(NotReady) as raised:
        process.wait_for(READY_LINE, 0.3)
    assert raised.value.returncode is None
    assert not process.running


FAKE_ENGINE = """\
#!/bin/sh
# Stands in for scripts/hatchet-engine start: says what it was given, then writes the file.
echo "start $1 db=$HATCHET_ENGINE_DB grpc=$HATCHET_ENGINE_GRPC_PORT api=$HATCHET_ENGINE_API_PORT"
echo "buffer=${SERVER_DEFAULT_BUFFER_SIZE:-unset}"
{
  echo "export HATCHET_CLIENT_TOKEN='token-$$'"
  echo "export HATCHET_CLIENT_HOST_PORT=localhost:$HATCHET_ENGINE_GRPC_PORT"
} > "$HATCHET_ENGINE_ENV_FILE"
exec sleep 60
"""


def test_an_engine_process_starts_restarts_and_keeps_its_first_variables(tmp_path):
    script = tmp_path / "fake-engine"
    script.write_text(FAKE_ENGINE)
    script.chmod(0o755)
    engine = EngineProcess(
        script, tmp_path, grpc_port=7999, api_port="8999", database="db", log_name="e-{start}.log"
    )
    try:
        first = engine.start(30)
        assert first["HATCHET_CLIENT_HOST_PORT"] == "localhost:7999"
        assert engine.log == tmp_path / "e-0.log"
        assert "start start db=db grpc=7999 api=8999" in engine.log.read_text()
        engine.stop()
        second = engine.start(30)
        assert second["HATCHET_CLIENT_TOKEN"] != first["HATCHET_CLIENT_TOKEN"]
        assert engine.env == first
        assert engine.log == tmp_path / "e-1.log"
    finally:
        engine.stop()
    assert engine.process is None


def test_an_engine_process_passes_its_extra_environment_as_it_is_at_each_start(tmp_path):
    script = tmp_path / "fake-engine"
    script.write_text(FAKE_ENGINE)
    script.chmod(0o755)
    engine = EngineProcess(
        script,
        tmp_path,
        grpc_port=7999,
        api_port="8999",
        database="db",
        log_name="e-{start}.log",
        env={"SERVER_DEFAULT_BUFFER_SIZE": "100"},
    )
    try:
        engine.start(30)
        assert "buffer=100" in engine.log.read_text()
        engine.stop()
        engine.extra_env = {}
        engine.start(30)
        assert "buffer=unset" in engine.log.read_text()
    finally:
        engine.stop()


def test_an_engine_that_exits_before_it_is_ready(tmp_path):
    script = tmp_path / "broken-engine"
    script.write_text("#!/bin/sh\necho 'port 7999 is in use'\nexit 1\n")
    script.chmod(0o755)
    engine = EngineProcess(script, tmp_path, grpc_port=7999, api_port=8999, database="db")
    with pytest.raises(NotReady, match="port 7999 is in use") as raised:
        engine.start(30)
    assert raised.value.returncode == 1
