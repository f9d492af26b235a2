"""``manage.py hatchet_engine`` and ``django_hatchet.localengine``, without an engine: the Go
check, every mistake's CommandError, the files it shares with scripts/hatchet-engine, and
the sidecar's flags. Starting a real engine from a wheel: scripts/check-package."""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from django_hatchet.localengine import LocalEngineError, cli, envfile
from django_hatchet.localengine.database import describe, engine_database_url
from django_hatchet.localengine.paths import state_dir_for
from django_hatchet.localengine.process import free_port
from django_hatchet.localengine.progress import TerminalProgress
from django_hatchet.localengine.sidecar import parse
from django_hatchet.localengine.toolchain import parse_version, require_go

SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}


def free_ports() -> list[str]:
    """Two ports nothing listens on (fixed ones may be taken by the engine tests' workers)."""
    return ["--grpc-port", str(free_port()), "--api-port", str(free_port())]


@pytest.fixture
def no_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH without Go, and an empty build cache."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("HATCHET_ENGINE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def old_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "old"
    bin_dir.mkdir()
    go = bin_dir / "go"
    go.write_text("#!/bin/sh\necho go version go1.22.5 linux/amd64\n")
    go.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("HATCHET_ENGINE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / ".hatchet-engine.env"
    monkeypatch.setenv("HATCHET_ENGINE_ENV_FILE", str(path))
    return path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.mark.parametrize(
    ("output", "version"),
    [
        ("go version go1.26.8 linux/amd64", (1, 26)),
        ("go version go1.9 linux/amd64", (1, 9)),
        ("go version devel go1.27-abc linux/amd64", (1, 27)),
        ("not go", None),
    ],
)
def test_the_go_version_is_read_from_go_version(output: str, version: object) -> None:
    assert parse_version(output) == version


def test_without_go_the_build_says_which_go_and_what_to_do_instead(no_go: None) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("hatchet_engine", "build")
    message = str(caught.value)
    assert "needs Go 1.26 or newer, and there is no `go` on the PATH" in message
    assert "https://go.dev/dl/" in message
    assert "HATCHET_CLIENT_TOKEN" in message  # The way without Go: an engine elsewhere.
    assert "Hatchet Cloud" in message


def test_a_go_too_old_is_named_with_the_version_needed(old_go: None) -> None:
    with pytest.raises(CommandError, match=r"needs Go 1\.26 or newer .* is Go 1\.22"):
        call_command("hatchet_engine", "build")


def test_the_go_check_comes_before_anything_is_written(no_go: None, tmp_path: Path) -> None:
    with pytest.raises(LocalEngineError):
        require_go()
    assert not (tmp_path / "cache").exists()


def test_start_on_a_port_in_use_says_which_and_how_to_choose(busy_port: int) -> None:
    with pytest.raises(CommandError, match=f"Port {busy_port} is in use.*--grpc-port"):
        call_command("hatchet_engine", "start", "--grpc-port", str(busy_port))


def test_start_with_the_same_port_twice_is_refused() -> None:
    port = str(free_port())
    with pytest.raises(CommandError, match=f"both {port}"):
        call_command("hatchet_engine", "start", "--grpc-port", port, "--api-port", port)


def test_start_with_postgresql_unreachable_says_where_and_what_to_do() -> None:
    url = "postgres://someone:secret@127.0.0.1:1/engine"
    with pytest.raises(CommandError) as caught:
        call_command("hatchet_engine", "start", "--database-url", url, *free_ports())
    message = str(caught.value)
    assert message.startswith("PostgreSQL at someone@127.0.0.1:1/engine cannot be reached")
    assert "secret" not in message
    assert "--database-url" in message


def test_start_with_a_url_that_is_not_postgresql_is_refused() -> None:
    with pytest.raises(CommandError, match="is not a PostgreSQL URL"):
        call_command("hatchet_engine", "start", "--database-url", "mysql://x@h/db", *free_ports())


def test_start_on_a_sqlite_project_asks_for_a_postgresql_database() -> None:
    with pytest.raises(LocalEngineError, match=r"needs a PostgreSQL database.*sqlite3"):
        engine_database_url(None, SQLITE)


def test_the_environment_names_the_engine_s_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HATCHET_ENGINE_DATABASE_URL", "postgres://u@127.0.0.1:1/x")
    with pytest.raises(LocalEngineError, match=r"127\.0\.0\.1:1/x cannot be reached"):
        engine_database_url(None, SQLITE)


def test_messages_show_a_database_without_its_password() -> None:
    assert describe("postgres://u:pw@db.example:6543/jobs?sslmode=disable") == (
        "u@db.example:6543/jobs"
    )


def test_env_without_a_running_engine_says_how_to_start_one(env_file: Path) -> None:
    with pytest.raises(CommandError, match=r"No local engine is running.*hatchet_engine start"):
        call_command("hatchet_engine", "env")


def test_env_of_an_engine_whose_process_is_gone_says_so(env_file: Path) -> None:
    env_file.write_text("# written by x, pid 999999999, removed when it stops\nexport A=b\n")
    with pytest.raises(CommandError, match="is gone"):
        call_command("hatchet_engine", "env")


def test_env_prints_the_exports_of_a_running_engine(env_file: Path) -> None:
    envfile.write(env_file, {"HATCHET_CLIENT_TOKEN": "t", "HATCHET_CLIENT_HOST_PORT": "h:1"}, "t")
    out = io.StringIO()
    call_command("hatchet_engine", "env", stdout=out)
    assert out.getvalue().splitlines() == [
        "export HATCHET_CLIENT_TOKEN=t",
        "export HATCHET_CLIENT_HOST_PORT=h:1",
    ]
    assert env_file.stat().st_mode & 0o777 == 0o600  # It holds a token.
    envfile.remove(env_file)
    assert not env_file.exists()


def test_status_without_an_engine(env_file: Path, no_go: None) -> None:
    out = io.StringIO()
    call_command("hatchet_engine", "status", stdout=out)
    assert out.getvalue().splitlines() == [
        "engine v0.105.0: not built (hatchet_engine build)",
        f"not running: No local engine is running (no {env_file}). Start one: "
        "python manage.py hatchet_engine start",
    ]


def test_status_of_a_running_engine(env_file: Path, busy_port: int) -> None:
    exports = {
        "HATCHET_CLIENT_HOST_PORT": f"127.0.0.1:{busy_port}",
        "HATCHET_CLIENT_SERVER_URL": "http://127.0.0.1:1",
    }
    envfile.write(env_file, exports, "test")
    out = io.StringIO()
    call_command("hatchet_engine", "status", stdout=out)
    assert f"running (pid {os.getpid()}): gRPC 127.0.0.1:{busy_port} (answers)" in out.getvalue()


def test_the_keys_live_where_scripts_hatchet_engine_keeps_them() -> None:
    # The same directory for the same database, so that either can start the other's engine.
    path = state_dir_for("postgres://u:p@127.0.0.1:5432/hatchet_engine?sslmode=disable")
    assert path.name == "127.0.0.1_5432_hatchet_engine"


def test_progress_off_a_terminal_is_a_line_per_tenth() -> None:
    out = io.StringIO()
    progress = TerminalProgress(out)
    progress.phase("compiling 1000 packages")
    for done in range(1, 1001):
        progress.count(done, 1000)
    lines = out.getvalue().splitlines()
    assert lines[0] == "hatchet engine build: compiling 1000 packages"
    assert len(lines) == 12  # The phase, 0/10 .. 10/10.
    assert lines[-1] == "  compiled 1000 of 1000 packages"


def test_the_sidecar_takes_the_sdk_s_flags() -> None:
    options = parse(["-handshake-file", "/tmp/h.json", "-grpc-port=7000", "-no-api"])
    assert (options.handshake_file, options.grpc_port, options.no_api) == (
        "/tmp/h.json",
        7000,
        True,
    )
    with pytest.raises(SystemExit):
        parse(["-grpc-port", "1"])  # No handshake file.


def test_the_program_without_a_project_says_what_it_needs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HATCHET_ENGINE_DATABASE_URL", raising=False)
    assert cli.main(["start"]) == 1
    assert "HATCHET_ENGINE_DATABASE_URL names no database" in capsys.readouterr().err
    assert cli.main(["cache-dir"]) == 0
    assert capsys.readouterr().out.strip().endswith("hatchet-v0.105.0/bin")
    assert cli.main(["nonsense"]) == 2
    assert "django-hatchet-engine build" in capsys.readouterr().err


def test_the_sidecar_without_a_built_engine_says_how_to_build_it(
    no_go: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["-handshake-file", str(tmp_path / "h.json")]) == 1
    assert "python manage.py hatchet_engine build" in capsys.readouterr().err


def test_start_without_go_says_so_before_touching_anything(
    no_go: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Ports free and a database found: the Go check is what stops it, with the same words.
    monkeypatch.setattr(
        "django_hatchet.management.commands.hatchet_engine.engine_database_url",
        lambda explicit, project: "postgres://u@127.0.0.1:5432/engine",
    )
    with pytest.raises(CommandError, match=r"needs Go 1\.26 or newer.*HATCHET_CLIENT_TOKEN"):
        call_command("hatchet_engine", "start", *free_ports())
    assert not (tmp_path / "cache").exists()
