"""Applying HATCHET_CRONS to the engine: next fire times and plans (pure), and the real engine
(tests marked ``engine``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from django.test import override_settings

from django_hatchet.crons import Cron, load_crons, next_fire, next_runs, parse_schedule
from django_hatchet.crons import sync as cron_sync
from django_hatchet.crons.sync import Action, CronPlan, diff, engine_name
from django_hatchet.engine import crons as api
from django_hatchet.engine.crons import EngineCron
from django_hatchet.jobs.registry import registry
from django_hatchet.runs.metadata import NAMESPACE_KEY, OWNER_KEY

UTC = timezone.utc
F = TypeVar("F", bound=Callable[..., Any])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Next fire times ---------------------------------------------------------------------------

MONDAY = "2024-01-01T00:00:00"  # A Monday, and the first of the month and of the year.


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ("*/15 * * * *", MONDAY, "2024-01-01T00:15:00"),  # Strictly after.
        ("* * * * *", "2024-01-01T00:00:30", "2024-01-01T00:01:00"),
        ("0 3 * * *", MONDAY, "2024-01-01T03:00:00"),
        ("0 3 * * *", "2024-01-01T03:00:00", "2024-01-02T03:00:00"),
        ("0,30 8-9 * * *", "2024-01-01T08:10:00", "2024-01-01T08:30:00"),
        ("0,30 8-9 * * *", "2024-01-01T09:30:00", "2024-01-02T08:00:00"),
        ("0 9 * * 1-5", "2024-01-05T10:00:00", "2024-01-08T09:00:00"),  # Friday -> Monday.
        ("0 0 * * 0", MONDAY, "2024-01-07T00:00:00"),  # Sunday is 0.
        ("0 0 1 1 *", "2024-06-01T00:00:00", "2025-01-01T00:00:00"),
        ("0 0 29 2 *", "2024-03-01T00:00:00", "2028-02-29T00:00:00"),
        ("0 0 31 * *", "2024-04-01T00:00:00", "2024-05-31T00:00:00"),
        ("*/2 * * * * *", MONDAY, "2024-01-01T00:00:02"),  # Six fields: seconds first.
        ("30 */5 * * * *", MONDAY, "2024-01-01T00:00:30"),
        ("@hourly", MONDAY, "2024-01-01T01:00:00"),
        ("@daily", MONDAY, "2024-01-02T00:00:00"),
        ("@weekly", MONDAY, "2024-01-07T00:00:00"),
        ("@monthly", MONDAY, "2024-02-01T00:00:00"),
        ("@yearly", MONDAY, "2025-01-01T00:00:00"),
        ("@annually", MONDAY, "2025-01-01T00:00:00"),
    ],
)
def test_next_fire(schedule: str, after: str, expected: str) -> None:
    assert next_fire(schedule, at(after)) == at(expected)


def test_day_of_month_and_day_of_week_both_restricted_match_either() -> None:
    # The 13th, or any Friday: the first Friday comes first.
    assert next_fire("0 0 13 * 5", at(MONDAY)) == at("2024-01-05T00:00:00")
    # Odd days, or Mondays: a step makes the field restricted ('*/2' is not '*').
    assert next_fire("0 0 */2 * 1", at(MONDAY)) == at("2024-01-03T00:00:00")


def test_a_star_day_field_means_both_must_match() -> None:
    # '*/1' counts as '*', as in the engine's parser: Mondays only.
    assert next_fire("0 0 */1 * 1", at(MONDAY)) == at("2024-01-08T00:00:00")
    assert next_fire("0 0 * * 1", at(MONDAY)) == at("2024-01-08T00:00:00")


def test_times_are_utc_whatever_the_given_zone() -> None:
    paris = timezone(timedelta(hours=1))
    after = datetime(2024, 1, 1, 1, 0, tzinfo=paris)  # Midnight UTC.
    assert next_fire("0 3 * * *", after) == at("2024-01-01T03:00:00")
    assert next_fire("0 3 * * *", after) == datetime(2024, 1, 1, 4, 0, tzinfo=paris)


def test_a_schedule_that_never_comes_has_no_next_time() -> None:
    assert next_fire("0 0 30 2 *", at(MONDAY)) is None


def test_microseconds_are_dropped_as_the_engine_does() -> None:
    assert next_fire("* * * * * *", at("2024-01-01T00:00:00.500000")) == at("2024-01-01T00:00:01")


def test_next_fire_defaults_to_now() -> None:
    before = datetime.now(UTC)
    found = next_fire("* * * * * *")
    assert found is not None
    assert before < found <= datetime.now(UTC) + timedelta(seconds=1)


def test_bad_input_to_next_fire() -> None:
    with pytest.raises(ValueError, match="needs an aware datetime"):
        next_fire("* * * * *", datetime(2024, 1, 1))
    with pytest.raises(ValueError, match=r"'0 9 \* \* MON' is not a valid schedule"):
        parse_schedule("0 9 * * MON")


def test_parse_schedule() -> None:
    schedule = parse_schedule("5 0-2,30 */6 1,15 * *")
    assert schedule.seconds == {5}
    assert schedule.minutes == {0, 1, 2, 30}
    assert schedule.hours == {0, 6, 12, 18}
    assert schedule.days == {1, 15}
    assert schedule.weekdays == set(range(7))
    assert (schedule.days_star, schedule.weekdays_star) == (False, True)


def test_next_runs_are_iso_utc_for_enabled_crons_that_fire() -> None:
    crons = [
        Cron("nightly", "job", "0 3 * * *"),
        Cron("off", "job", "0 3 * * *", enabled=False),
        Cron("never", "job", "0 0 30 2 *"),
    ]
    assert next_runs(crons, at(MONDAY)) == {"nightly": "2024-01-01T03:00:00Z"}


# Plans --------------------------------------------------------------------------------------

NS = "app_"


def engine_cron(cron: Cron, id: str, **changes: Any) -> EngineCron:
    """The engine's row for ``cron`` as our sync would have made it."""
    values: dict[str, Any] = {
        "id": id,
        "name": cron.name,
        "engine_name": engine_name(cron, NS),
        "job": cron.job,
        "schedule": cron.schedule,
        "args": cron.args,
        "kwargs": cron.kwargs,
        "enabled": cron.enabled,
        "priority": 1,
    }
    return EngineCron(**{**values, **changes})


ADD = Cron("nightly", "tests.testapp.tasks.add", "0 3 * * *", args=[1, 2])


def test_a_cron_missing_on_the_engine_is_created() -> None:
    [change] = diff([ADD], [], NS)
    assert change.action is Action.CREATE
    assert (change.create, change.delete, change.enable) == (True, (), ())
    assert change.writes == 1
    assert change.describe() == "create nightly (tests.testapp.tasks.add(1, 2) at '0 3 * * *')"


def test_a_disabled_cron_is_created_then_disabled() -> None:
    off = Cron("off", "tests.echo", "@daily", kwargs={"x": 1}, enabled=False)
    [change] = diff([off], [], NS)
    assert change.writes == 2
    assert change.describe() == "create off (tests.echo(x=1) at '@daily', disabled)"


def test_the_same_cron_is_unchanged() -> None:
    [change] = diff([ADD], [engine_cron(ADD, "1")], NS)
    assert change.action is Action.UNCHANGED
    assert change.writes == 0
    assert change.describe() == "unchanged nightly"


def test_a_new_schedule_is_a_new_cron_that_replaces_the_old_one() -> None:
    new = Cron("nightly", ADD.job, "0 4 * * *", args=[1, 2])
    [change] = diff([new], [engine_cron(ADD, "1")], NS)
    assert change.action is Action.UPDATE
    assert (change.create, change.delete) == (True, ("1",))
    assert change.describe() == "update nightly: schedule '0 3 * * *' -> '0 4 * * *'"


def test_new_arguments_give_a_new_engine_name() -> None:
    new = Cron("nightly", ADD.job, ADD.schedule, args=[1], kwargs={"b": 3})
    assert engine_name(new, NS) != engine_name(ADD, NS)
    assert engine_name(ADD, NS) == engine_name(Cron(**vars(ADD)), NS)  # Stable.
    assert engine_name(ADD, NS).startswith("nightly-")
    assert engine_name(ADD, "other_") != engine_name(ADD, NS)
    [change] = diff([new], [engine_cron(ADD, "1")], NS)
    assert (change.action, change.create, change.delete) == (Action.UPDATE, True, ("1",))
    assert change.describe() == "update nightly: args [1, 2] -> [1]; kwargs {} -> {'b': 3}"


def test_enabling_or_disabling_keeps_the_cron() -> None:
    off = Cron(**{**vars(ADD), "enabled": False})
    [change] = diff([off], [engine_cron(ADD, "1")], NS)
    assert change.action is Action.UPDATE
    assert (change.create, change.delete, change.enable) == (False, (), (("1", False),))
    assert change.writes == 1
    assert change.describe() == "update nightly: enabled True -> False"


def test_extra_copies_are_deleted() -> None:
    rows = [engine_cron(ADD, "1"), engine_cron(ADD, "2"), engine_cron(ADD, "3", schedule="@daily")]
    [change] = diff([ADD], rows, NS)
    assert change.action is Action.UPDATE
    assert (change.create, change.delete) == (False, ("2", "3"))
    assert change.describe() == "update nightly: 2 extra copies removed"


def test_an_owned_cron_gone_from_the_settings_is_deleted() -> None:
    gone = Cron("gone", "tests.echo", "@hourly")
    changes = diff([ADD], [engine_cron(gone, "9"), engine_cron(gone, "10")], NS)
    assert [(c.name, c.action) for c in changes] == [
        ("nightly", Action.CREATE),
        ("gone", Action.DELETE),
    ]
    assert changes[1].delete == ("9", "10")
    assert changes[1].describe() == "delete gone (tests.echo() at '@hourly')"


def test_a_cron_of_the_settings_outside_the_given_ones_is_kept() -> None:
    # A worker for some jobs applies their crons, and leaves the others alone.
    other = Cron("other", "tests.echo", "@hourly")
    changes = diff([ADD], [engine_cron(other, "9")], NS, keep={"other"})
    assert [(c.name, c.action) for c in changes] == [("nightly", Action.CREATE)]


def test_several_crons_for_one_job() -> None:
    a = Cron("a", "tests.echo", "@hourly", kwargs={"n": 1})
    b = Cron("b", "tests.echo", "@hourly", kwargs={"n": 2})
    changes = diff([a, b], [engine_cron(a, "1")], NS)
    assert [(c.name, c.action) for c in changes] == [("a", Action.UNCHANGED), ("b", Action.CREATE)]


def test_apply_creates_before_it_deletes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []

    def create(client: object, cron: Cron) -> str:
        calls.append(("create", cron.name))
        return "new"

    monkeypatch.setattr(api, "client", lambda: None)
    monkeypatch.setattr(api, "create", create)
    monkeypatch.setattr(api, "delete", lambda client, id: calls.append(("delete", id)))
    monkeypatch.setattr(
        api, "set_enabled", lambda client, id, on: calls.append(("enable", id, str(on)))
    )
    off = Cron("off", "tests.echo", "@daily", enabled=False)
    new = Cron("nightly", ADD.job, "0 4 * * *", args=[1, 2])
    plan = CronPlan(diff([new, off], [engine_cron(ADD, "1")], NS))
    cron_sync.apply(plan)
    assert calls == [
        ("create", "nightly"),
        ("delete", "1"),
        ("create", "off"),
        ("enable", "new", "False"),
    ]
    calls.clear()
    cron_sync.apply(CronPlan(diff([ADD], [engine_cron(ADD, "1")], NS)))
    assert calls == []


# On the engine ------------------------------------------------------------------------------


@pytest.fixture
def engine_crons(engine_settings: dict[str, Any]) -> Iterator[None]:
    """Leave the engine's crons as the test settings have them (as the session's worker
    made them)."""
    yield
    cron_sync.sync_crons(load_crons())


def on_engine(test: F) -> F:
    marked: F = pytest.mark.engine(pytest.mark.usefixtures("engine_crons")(test))
    return marked


def sync(crons: dict[str, Any]) -> CronPlan:
    with override_settings(HATCHET_CRONS=crons):
        return cron_sync.sync_crons(load_crons())


def owned() -> dict[str, list[EngineCron]]:
    found: dict[str, list[EngineCron]] = {}
    for row in api.list_owned():
        found.setdefault(row.name, []).append(row)
    return found


def ids() -> set[str]:
    return {row.id for rows in owned().values() for row in rows}


NIGHTLY = {"job": "tests.testapp.tasks.add", "schedule": "0 3 * * *", "args": [1, 2]}
ECHO = {"job": "tests.echo", "schedule": "*/5 * * * *", "kwargs": {"x": 1}}


@on_engine
def test_sync_creates_the_crons_with_the_owner_tag() -> None:
    plan = sync({"nightly": NIGHTLY, "echo": ECHO})
    assert [(c.name, c.action) for c in plan.changes if c.name != "nightly-sum"] == [
        ("nightly", Action.CREATE),
        ("echo", Action.CREATE),
    ]
    assert set(plan.next_runs) == {"nightly", "echo"}
    crons = owned()
    assert set(crons) == {"nightly", "echo"}
    [nightly] = crons["nightly"]
    assert (nightly.job, nightly.schedule, nightly.args, nightly.kwargs, nightly.enabled) == (
        "tests.testapp.tasks.add",
        "0 3 * * *",
        [1, 2],
        {},
        True,
    )
    client = api.client()
    row = client.cron.get(nightly.id)
    assert row.workflow_name == client.namespace + "tests.testapp.tasks.add"
    assert row.name == nightly.engine_name
    assert row.name.startswith("nightly-")
    assert row.input == {"args": [1, 2], "kwargs": {}}
    assert row.additional_metadata == {
        OWNER_KEY: "nightly",
        NAMESPACE_KEY: client.namespace,
        "django_hatchet_job": "tests.testapp.tasks.add",
    }


@on_engine
def test_a_second_sync_with_the_same_settings_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sync({"nightly": NIGHTLY, "echo": ECHO})
    before = ids()

    def no_writes(*args: Any) -> None:
        raise AssertionError("the engine was written to")

    with monkeypatch.context() as patch:
        for name in ("create", "delete", "set_enabled", "register_job"):
            patch.setattr(api, name, no_writes)
        plan = sync({"nightly": NIGHTLY, "echo": ECHO})
    assert {c.action for c in plan.changes} == {Action.UNCHANGED}
    assert plan.writes == 0
    assert ids() == before


@on_engine
def test_a_changed_schedule_replaces_the_cron() -> None:
    sync({"nightly": NIGHTLY})
    [old] = owned()["nightly"]
    plan = sync({"nightly": {**NIGHTLY, "schedule": "0 4 * * *"}})
    [change] = plan.changes
    assert change.action is Action.UPDATE
    assert change.describe() == "update nightly: schedule '0 3 * * *' -> '0 4 * * *'"
    [new] = owned()["nightly"]
    assert new.id != old.id
    assert new.schedule == "0 4 * * *"
    assert plan.next_runs["nightly"].endswith("T04:00:00Z")


@on_engine
def test_changed_kwargs_replace_the_cron() -> None:
    sync({"echo": ECHO})
    [old] = owned()["echo"]
    sync({"echo": {**ECHO, "kwargs": {"x": 2}}})
    [new] = owned()["echo"]
    assert (new.kwargs, new.schedule) == ({"x": 2}, ECHO["schedule"])
    assert new.id != old.id
    assert new.engine_name != old.engine_name


@on_engine
def test_a_cron_removed_from_the_settings_is_deleted() -> None:
    sync({"nightly": NIGHTLY, "echo": ECHO})
    plan = sync({"echo": ECHO})
    assert [(c.name, c.action) for c in plan.changes] == [
        ("echo", Action.UNCHANGED),
        ("nightly", Action.DELETE),
    ]
    assert set(owned()) == {"echo"}
    sync({})
    assert owned() == {}


@on_engine
def test_crons_made_elsewhere_are_left_alone() -> None:
    client = api.client()
    api.register_job(client, "tests.echo", registry["tests.echo"].options)
    untagged = client.cron.create(
        workflow_name="tests.echo",
        cron_name="made-by-hand",
        expression="0 5 * * *",
        input={"args": [], "kwargs": {}},
        additional_metadata={"team": "ops"},
    )
    # Ours in name, but from another project's namespace on the same tenant.
    elsewhere = client.cron.create(
        workflow_name="tests.echo",
        cron_name="other-project",
        expression="0 5 * * *",
        input={"args": [], "kwargs": {}},
        additional_metadata={OWNER_KEY: "other-project", NAMESPACE_KEY: "someone_else_"},
    )
    try:
        sync({"echo": ECHO})
        sync({})
        assert owned() == {}
        left = {r.metadata.id for r in client.cron.list(workflow_name=untagged.workflow_name).rows}
        assert {untagged.metadata.id, elsewhere.metadata.id} <= left
    finally:
        client.cron.delete(untagged.metadata.id)
        client.cron.delete(elsewhere.metadata.id)


@on_engine
def test_two_crons_for_one_job_with_different_kwargs() -> None:
    sync({"echo-1": {**ECHO, "kwargs": {"n": 1}}, "echo-2": {**ECHO, "kwargs": {"n": 2}}})
    crons = owned()
    assert [row.kwargs for row in crons["echo-1"]] == [{"n": 1}]
    assert [row.kwargs for row in crons["echo-2"]] == [{"n": 2}]
    plan = sync({"echo-1": {**ECHO, "kwargs": {"n": 1}}, "echo-2": {**ECHO, "kwargs": {"n": 2}}})
    assert plan.writes == 0


@on_engine
def test_a_disabled_cron_is_kept_paused_and_enabled_in_place() -> None:
    plan = sync({"echo": {**ECHO, "enabled": False}})
    assert "echo" not in plan.next_runs
    [paused] = owned()["echo"]
    assert paused.enabled is False
    plan = sync({"echo": ECHO})
    assert plan.writes == 1
    [running] = owned()["echo"]
    assert (running.id, running.enabled) == (paused.id, True)
    assert "echo" in plan.next_runs


@on_engine
def test_syncs_of_the_same_plan_make_one_cron() -> None:
    crons = {"echo": ECHO}
    with override_settings(HATCHET_CRONS=crons):
        first, second = cron_sync.plan_crons(load_crons()), cron_sync.plan_crons(load_crons())
        cron_sync.apply(first)
        cron_sync.apply(second)  # Finds the cron made: "already exists".
    assert len(owned()["echo"]) == 1
    crons = {"echo": {**ECHO, "kwargs": {"x": 2}}}
    with override_settings(HATCHET_CRONS=crons):
        first, second = cron_sync.plan_crons(load_crons()), cron_sync.plan_crons(load_crons())
        cron_sync.apply(first)
        cron_sync.apply(second)  # The old cron is gone already (the engine answers 500).
    [row] = owned()["echo"]
    assert row.kwargs == {"x": 2}


def apply_at_once(plans: list[CronPlan]) -> list[BaseException]:
    """Apply the plans in threads released together, as workers starting together would."""
    start = threading.Barrier(len(plans))
    errors: list[BaseException] = []

    def run(plan: CronPlan) -> None:
        start.wait()
        try:
            cron_sync.apply(plan)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@on_engine
def test_concurrent_syncs_make_one_cron() -> None:
    for kwargs in ({"x": 1}, {"x": 2}):  # A create, then an update.
        with override_settings(HATCHET_CRONS={"echo": {**ECHO, "kwargs": kwargs}}):
            crons = load_crons()
            assert apply_at_once([cron_sync.plan_crons(crons) for _ in range(4)]) == []
        assert [row.kwargs for row in owned()["echo"]] == [kwargs]


@on_engine
def test_a_job_the_engine_does_not_know_yet_is_registered(namespace: str) -> None:
    with override_settings(HATCHET_CLIENT_NAMESPACE=f"{namespace}new"):
        try:
            sync({"echo": ECHO})
            assert [row.kwargs for row in owned()["echo"]] == [{"x": 1}]
        finally:
            sync({})


def runs_of(name: str, since: datetime) -> list[Any]:
    client = api.client()
    return client.runs.list(
        since=since,
        additional_metadata={OWNER_KEY: name, NAMESPACE_KEY: client.namespace},
        limit=200,
    ).rows


def fired(run: Any) -> datetime:
    return datetime.fromisoformat(
        str(run.additional_metadata["hatchet__cron_scheduled_at"]).replace("Z", "+00:00")
    )


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"Timed out after {timeout} s waiting for {what}.")


@on_engine
@pytest.mark.usefixtures("worker")
def test_a_cron_fires_on_the_engine_with_its_current_arguments(start_worker: Any) -> None:
    start_worker("--jobs", "tests.echo", "--name", "second-worker")  # Two workers, one firing.
    start = datetime.now(UTC) - timedelta(seconds=2)
    every_2_s = {"job": "tests.echo", "schedule": "*/2 * * * * *"}
    sync({"ticker": {**every_2_s, "kwargs": {"round": 1}}})

    def completed(round: int) -> list[Any]:
        return [
            r
            for r in runs_of("ticker", start)
            if r.status.name == "COMPLETED"
            and r.output == {"result": {"args": [], "kwargs": {"round": round}}}
        ]

    wait_for(lambda: completed(1), 30, "a run of the cron")

    # New arguments, same schedule: the engine fires the new ones, never the old ones again.
    sync({"ticker": {**every_2_s, "kwargs": {"round": 2}}})
    changed = datetime.now(UTC)
    wait_for(lambda: completed(2), 30, "a run with the new arguments")
    time.sleep(4)
    late = [r for r in runs_of("ticker", start) if fired(r) > changed + timedelta(seconds=1)]
    assert late
    assert all(r.input["input"]["kwargs"] == {"round": 2} for r in late)
    # One run per tick, however many workers (away from the instant both crons exist).
    ticks = [
        fired(r) for r in runs_of("ticker", start) if abs(fired(r) - changed) > timedelta(seconds=2)
    ]
    assert len(ticks) == len(set(ticks))

    # Disabled, then removed: it stops.
    for crons in ({"ticker": {**every_2_s, "kwargs": {"round": 2}, "enabled": False}}, {}):
        sync(crons)
        stopped = datetime.now(UTC) + timedelta(seconds=1)
        time.sleep(5)
        assert [r for r in runs_of("ticker", start) if fired(r) > stopped] == []


@on_engine
def test_runworker_applies_the_crons_when_it_starts(start_worker: Any) -> None:
    sync({})
    worker = start_worker("--jobs", "tests.testapp.tasks.add", "--name", "cron-sync-test")
    [nightly] = owned()["nightly-sum"]
    assert (nightly.job, nightly.schedule, nightly.args) == (
        "tests.testapp.tasks.add",
        "0 3 * * *",
        [1, 2],
    )
    assert "nightly-sum  settings  tests.testapp.tasks.add  0 3 * * *       " in worker.output()
    assert "T03:00:00Z" in worker.output()


@on_engine
def test_a_worker_for_some_jobs_keeps_the_crons_of_the_others(start_worker: Any) -> None:
    # tests.settings declares nightly-sum, for tests.testapp.tasks.add.
    sync({"nightly-sum": {**NIGHTLY, "schedule": "0 3 * * *"}, "stray": ECHO})
    [nightly] = owned()["nightly-sum"]
    start_worker("--jobs", "tests.echo", "--name", "cron-sync-test")
    crons = owned()
    assert [row.id for row in crons["nightly-sum"]] == [nightly.id]
    assert "stray" not in crons  # In no one's settings: deleted.


@on_engine
@pytest.mark.usefixtures("worker")
def test_a_cron_fires_a_workflow_with_all_its_steps() -> None:
    start = datetime.now(UTC) - timedelta(seconds=2)
    sync({"orders-ticker": {"job": "tests.orders", "schedule": "*/2 * * * * *", "args": [5]}})
    try:
        done = wait_for(
            lambda: [r for r in runs_of("orders-ticker", start) if r.status.name == "COMPLETED"],
            30,
            "a run of the workflow's cron",
        )
        details = api.client().runs.get_details(done[0].workflow_run_external_id)
        outputs = {name: task.output for name, task in details.task_runs.items()}
        assert outputs["price"] == {"result": 110}
        assert set(outputs) == {"load", "price", "reserve", "bill"}
    finally:
        sync({})
