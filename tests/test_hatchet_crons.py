"""``manage.py hatchet_crons``: list, plan and apply HATCHET_CRONS without a worker."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from django_hatchet.crons import load_crons
from django_hatchet.crons import sync as cron_sync
from django_hatchet.engine import crons as api


def run(*args: str) -> str:
    out = StringIO()
    call_command("hatchet_crons", *args, stdout=out)
    return out.getvalue()


def test_without_a_token_it_says_crons_do_not_run() -> None:
    with pytest.raises(CommandError) as info:
        run()
    assert "HATCHET_CLIENT_TOKEN is not set" in str(info.value)
    assert "jobs run inline" in str(info.value)
    assert "crons (HATCHET_CRONS) do not run" in str(info.value)


@override_settings(
    HATCHET_CLIENT_TOKEN="a-token",
    HATCHET_CRONS={"bad": {"job": "no.such.job", "schedule": "0 9 * * MON"}},
)
def test_mistakes_in_hatchet_crons_are_reported() -> None:
    with pytest.raises(CommandError, match="HATCHET_CRONS has mistakes") as info:
        run("--plan")
    assert "(django_hatchet.E004)" in str(info.value)
    assert "(django_hatchet.E005)" in str(info.value)


@override_settings(HATCHET_CLIENT_TOKEN="not-a-jwt")
def test_a_token_that_is_not_valid_is_reported() -> None:
    with pytest.raises(CommandError, match="The Hatchet client settings are not valid"):
        run()


@override_settings(HATCHET_CLIENT_TOKEN="a-token")
def test_plan_and_apply_do_not_go_together() -> None:
    with pytest.raises(CommandError, match="not allowed with argument"):
        run("--plan", "--apply")


# On the engine ------------------------------------------------------------------------------


@pytest.fixture
def engine_crons(engine_settings: dict[str, Any], db: None) -> Iterator[None]:
    with override_settings(HATCHET_CRONS={}):
        cron_sync.sync_crons([])
    yield
    cron_sync.sync_crons(load_crons())  # As the test settings have them.


NIGHTLY = {"job": "tests.testapp.tasks.add", "schedule": "0 3 * * *", "args": [1, 2]}


@pytest.mark.engine
@pytest.mark.usefixtures("engine_crons")
def test_list_plan_and_apply(namespace: str) -> None:
    crons = {"nightly": NIGHTLY, "paused": {**NIGHTLY, "enabled": False}}
    with override_settings(HATCHET_CRONS=crons):
        listing = run()
        assert f"namespace '{namespace}_'" in listing
        assert (
            "nightly  settings  tests.testapp.tasks.add  0 3 * * *       missing: to create  "
            in listing
        )
        assert (
            "paused   settings  tests.testapp.tasks.add  0 3 * * *       missing: to create  paused"
            in listing
        )
        assert "2 changes pending" in listing
        assert run("--dry-run").splitlines() == [
            "settings: create nightly (tests.testapp.tasks.add(1, 2) at '0 3 * * *')",
            "settings: create paused (tests.testapp.tasks.add(1, 2) at '0 3 * * *', disabled)",
        ]
        assert api.list_owned() == []  # The plan changed nothing.
        assert run("--apply").splitlines()[-1] == "Applied 2 changes."
        assert {(c.name, c.enabled) for c in api.list_owned()} == {
            ("nightly", True),
            ("paused", False),
        }
        assert run("--apply") == (
            "Nothing to change: the engine's crons match HATCHET_CRONS and the crons made in "
            "the admin.\n"
        )
        listing = run()
        assert "in sync" in listing
        assert "T03:00:00Z" in listing
        assert "pending" not in listing
    with override_settings(HATCHET_CRONS={"nightly": NIGHTLY}):
        assert (
            "paused   settings  tests.testapp.tasks.add  0 3 * * *       not in settings: to delete"
            in run()
        )
        assert run("--plan") == (
            "settings: delete paused (tests.testapp.tasks.add(1, 2) at '0 3 * * *')\n"
        )
        run("--apply")
        assert [c.name for c in api.list_owned()] == ["nightly"]


@pytest.mark.engine
@pytest.mark.usefixtures("engine_crons")
def test_an_engine_that_does_not_answer_is_a_command_error() -> None:
    with (
        override_settings(HATCHET_CLIENT_SERVER_URL="http://127.0.0.1:9"),
        pytest.raises(
            CommandError,
            match=r"Could not list the crons: cannot reach the Hatchet engine's API at "
            r"http://127\.0\.0\.1:9 \(RestConnectionError\)\. Is it running\?",
        ),
    ):
        run()


@pytest.mark.engine
@pytest.mark.usefixtures("engine_crons")
def test_a_token_the_engine_refuses_is_a_command_error(engine_settings: dict[str, Any]) -> None:
    header, payload, _ = engine_settings["HATCHET_CLIENT_TOKEN"].split(".")
    forged = f"{header}.{payload}.c2lnbmVkIGJ5IG5vIG9uZQ"
    with (
        override_settings(HATCHET_CLIENT_TOKEN=forged),
        pytest.raises(CommandError, match=r"the Hatchet engine refused the token \(HTTP 40[13]\)"),
    ):
        run()
