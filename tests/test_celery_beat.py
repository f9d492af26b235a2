"""Celery beat's periodic tasks as HATCHET_CRONS, and ``manage.py hatchet_import_celery_beat``."""

from __future__ import annotations

import ast
from datetime import datetime, timedelta, timezone
from io import StringIO
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab, schedule, solar  # type: ignore[import-untyped]
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.test import override_settings

from django_hatchet.celery.beat import expressions, schedules
from django_hatchet.celery.beat import read as beat_read
from django_hatchet.celery.beat import render as beat_render
from django_hatchet.celery.beat import translate as beat_translate
from django_hatchet.celery.beat.read import BeatEntry, BeatScheduleError
from django_hatchet.celery.beat.schedules import (
    CannotMap,
    Clocked,
    Crontab,
    Interval,
    Solar,
    Unknown,
)
from django_hatchet.crons import cron_problems, schedule_error

ADD = "tests.testapp.tasks.add"
ECHO = "tests.echo"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("hatchet_import_celery_beat", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def crons_of(snippet: str) -> dict[str, Any]:
    """The value of the snippet's HATCHET_CRONS, read as a literal (as settings would)."""
    tree = ast.parse(snippet)
    assert len(tree.body) == 1
    (assignment,) = tree.body
    assert isinstance(assignment, ast.Assign)
    assert [t.id for t in assignment.targets if isinstance(t, ast.Name)] == ["HATCHET_CRONS"]
    value = ast.literal_eval(assignment.value)
    assert isinstance(value, dict)
    return value


def entry(schedule: object, task: str = ADD, **fields: Any) -> BeatEntry:
    return BeatEntry(
        "CELERY_BEAT_SCHEDULE['x']", "x", task, schedules.schedule_of(schedule), **fields
    )


def setting_entries() -> list[BeatEntry]:
    entries = beat_read.setting_entries()
    assert entries is not None
    return entries


def translate_one(entry: BeatEntry, zone: tuple[str, str] = ("UTC", "CELERY_TIMEZONE")):
    (cron,) = beat_translate.translate([entry], zone)
    return cron


# Crontabs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tab", "expression"),
    [
        (crontab(), "* * * * *"),
        (crontab(minute=0, hour=0), "0 0 * * *"),
        (crontab(minute="*/15"), "*/15 * * * *"),
        (crontab(minute=30, hour=7, day_of_week="mon-fri"), "30 7 * * 1-5"),
        (crontab(minute=0, hour=9, day_of_week="sun"), "0 9 * * 0"),
        (crontab(minute=0, hour=9, day_of_week="saturday,sunday"), "0 9 * * 6,0"),
        (crontab(minute=0, hour=9, day_of_week="fri-mon"), "0 9 * * 0,1,5,6"),
        (crontab(minute=0, hour=0, day_of_month=1, month_of_year="jan,jul"), "0 0 1 1,7 *"),
        (crontab(minute=0, hour=0, month_of_year="mar-may"), "0 0 * 3-5 *"),
        (crontab(minute="5-55/10"), "5,15,25,35,45,55 * * * *"),
        (crontab(minute=[0, 30], hour=range(9, 18)), "0,30 9-17 * * *"),
        (crontab(minute=0, hour="22-2"), "0 0-2,22,23 * * *"),
        (crontab(minute=0, hour="*/1", day_of_month="1-31"), "0 * * * *"),
        (crontab(minute=0, hour=0, day_of_month="*/2"), "0 0 */2 * *"),
        (crontab(minute=0, hour=0, day_of_month=2, month_of_year="*/3"), "0 0 2 */3 *"),
        (crontab(minute=0, hour=0, day_of_week="*/2"), "0 0 * * */2"),
    ],
)
def test_celery_crontabs_become_cron_expressions(tab, expression):
    read = schedules.schedule_of(tab)
    assert isinstance(read, Crontab)
    assert expressions.crontab_expression(read) == expression
    assert schedule_error(expression) is None


@pytest.mark.parametrize(
    ("fields", "expression"),
    [
        ({"minute": "5/15"}, "5,20,35,50 * * * *"),  # 'a/n', as django-celery-beat rows allow
        ({"hour": "3/6", "minute": "0"}, "0 3,9,15,21 * * *"),
        ({"day_of_week": "MON-Fri"}, "* * * * 1-5"),
        ({"month_of_year": "December"}, "* * * 12 *"),
        ({"minute": " 0 , 30 "}, "0,30 * * * *"),
        ({"minute": "0-30/1"}, "0-30 * * * *"),
    ],
)
def test_crontab_fields_as_rows_hold_them(fields, expression):
    assert expressions.crontab_expression(Crontab(**fields)) == expression


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"minute": "1-59/2"}, "its minute '1-59/2' would be a list of 30 values"),
        ({"day_of_week": "7"}, "its day_of_week has 7, which is outside 0-6"),
        ({"minute": "60"}, "its minute has 60, which is outside 0-59"),
        ({"day_of_month": "L"}, "its day_of_month has 'l', which is not a number"),
        ({"day_of_week": "xyz"}, "has 'xyz', which is not a number or a name"),
        ({"hour": "*/0"}, "its hour '*/0' has a step that is not a number above 0"),
        ({"hour": "1/x"}, "its hour '1/x' has a step"),
        ({"minute": True}, "its minute True is not a crontab field"),
        ({"minute": None}, "its minute None is not a crontab field"),
        ({"minute": ""}, "its minute has '', which is not a number"),
        (
            {"day_of_month": "1-7", "day_of_week": "mon"},
            "Celery runs it on days that match both, Hatchet (as cron does) on days that "
            "match either",
        ),
    ],
)
def test_crontabs_hatchet_has_no_expression_for(fields, reason):
    with pytest.raises(CannotMap) as info:
        expressions.crontab_expression(Crontab(**fields))
    assert reason in str(info.value)


def test_a_restricted_day_of_week_with_every_day_of_month_maps():
    read = schedules.schedule_of(crontab(minute=0, hour=8, day_of_week="mon", day_of_month="*/1"))
    assert isinstance(read, Crontab)
    assert expressions.crontab_expression(read) == "0 8 * * 1"


def test_every_expression_is_checked_with_hatchets_rules(monkeypatch):
    monkeypatch.setattr(expressions, "schedule_error", lambda expression: "it is a test")
    with pytest.raises(CannotMap, match="Hatchet would refuse '0 3 \\* \\* \\*': it is a test"):
        expressions.crontab_expression(Crontab(minute="0", hour="3"))


# Intervals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("every", "expression"),
    [
        (timedelta(seconds=1), "* * * * * *"),
        (timedelta(seconds=30), "*/30 * * * * *"),
        (timedelta(seconds=60), "* * * * *"),
        (timedelta(minutes=15), "*/15 * * * *"),
        (timedelta(minutes=30), "*/30 * * * *"),
        (timedelta(hours=1), "0 * * * *"),
        (timedelta(minutes=120), "0 */2 * * *"),
        (timedelta(hours=12), "0 */12 * * *"),
        (timedelta(days=1), "0 0 * * *"),
        (timedelta(weeks=1), "0 0 * * 0"),
    ],
)
def test_intervals_that_divide_a_cron_field_map(every, expression):
    assert expressions.interval_expression(every) == expression
    assert schedule_error(expression) is None


@pytest.mark.parametrize(
    ("every", "reason"),
    [
        (
            timedelta(minutes=7),
            "7 minutes do not divide an hour. '*/7 * * * *' would fire every 7 minutes within "
            "each hour, then 4 minutes after the last one",
        ),
        (timedelta(seconds=45), "45 seconds do not divide a minute. '*/45 * * * * *'"),
        (timedelta(hours=5), "5 hours do not divide a day. '0 */5 * * *'"),
        (timedelta(minutes=90), "90 minutes is more than an hour but not a whole number of hours"),
        (timedelta(seconds=90), "90 seconds is more than a minute but not a whole number"),
        (timedelta(seconds=1.5), "1.5 seconds is not a whole number of seconds"),
        (timedelta(0), "0:00:00 is not a period above 0"),
        (timedelta(seconds=-60), "is not a period above 0"),
        (timedelta(days=2), "2 days is neither a day nor a week, nor divides a day. '0 0 */2 * *'"),
        (timedelta(hours=36), "36 hours is neither a day nor a week"),
    ],
)
def test_intervals_that_do_not_divide_a_cron_field_cannot_map(every, reason):
    with pytest.raises(CannotMap) as info:
        expressions.interval_expression(every)
    assert str(info.value).startswith("Hatchet crons are wall-clock schedules, not intervals")
    assert reason in str(info.value)


def test_a_mapped_interval_notes_that_it_now_follows_the_clock():
    cron = translate_one(entry(timedelta(minutes=15), args=[1, 2]))
    assert cron.cron == {"job": ADD, "schedule": "*/15 * * * *", "args": [1, 2]}
    assert cron.notes == (
        "Celery ran it every 15 minutes from when beat started; the cron fires on the UTC "
        "clock instead.",
    )


# Reading schedules ---------------------------------------------------------------------------


def test_schedules_are_read_by_duck_typing():
    assert schedules.schedule_of(30) == Interval(timedelta(seconds=30))
    assert schedules.schedule_of(2.5) == Interval(timedelta(seconds=2.5))
    assert schedules.schedule_of(timedelta(hours=1)) == Interval(timedelta(hours=1))
    assert schedules.schedule_of(schedule(timedelta(hours=2))) == Interval(timedelta(hours=2))
    assert schedules.schedule_of(schedule(run_every=45)) == Interval(timedelta(seconds=45))
    assert schedules.schedule_of(crontab(minute="*/5", day_of_week="mon")) == Crontab(
        minute="*/5", day_of_week="mon"
    )
    sunrise = solar.__new__(solar)  # solar() itself needs the ephem package.
    sunrise.event, sunrise.lat, sunrise.lon = "sunrise", 52.5, 13.4
    assert schedules.schedule_of(sunrise) == Solar("sunrise", 52.5, 13.4)
    when = datetime(2030, 1, 1, 9, tzinfo=timezone.utc)
    assert schedules.schedule_of(SimpleNamespace(clocked_time=when)) == Clocked(when)
    assert schedules.schedule_of(True) == Unknown("True, which is not a schedule")
    assert schedules.schedule_of(float("inf")) == Unknown("every inf seconds")
    assert schedules.schedule_of("daily") == Unknown("a schedule of type str")


def test_a_tz_aware_crontab_keeps_its_timezone():
    tab = crontab(minute=0, hour=9)
    tab.tz = ZoneInfo("Europe/Paris")  # As django-celery-beat's TzAwareCrontab has it.
    assert schedules.schedule_of(tab).timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("read", "reason"),
    [
        (Solar("sunrise", 52.5, 13.4), "solar schedules have no cron equivalent"),
        (Clocked("2030-01-01"), "a clocked task is a one-off: use job.apply_async(eta=...)"),
        (Unknown("a schedule of type str"), "a schedule of type str is not a schedule it knows"),
    ],
)
def test_solar_clocked_and_unknown_schedules_cannot_map(read, reason):
    cron = translate_one(BeatEntry("PeriodicTask 'x'", "x", ADD, read))
    assert reason in cron.problem
    assert cron.cron["schedule"] == beat_translate.TODO
    assert not cron.mapped


# Periodic tasks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("nightly report", "nightly-report"),
        ("send: emails / daily!", "send-emails-daily"),
        ("résumé.build_v2", "resume.build_v2"),
        ("***", "cron"),
        ("ok-name_1.x", "ok-name_1.x"),
    ],
)
def test_names_become_valid_cron_names(name, expected):
    assert beat_translate.cron_name(name, set()) == expected


def test_cron_names_stay_unique_without_case():
    taken: set[str] = set()
    names = [beat_translate.cron_name(n, taken) for n in ("a b", "a-b", "A_B", "A-B", "a b")]
    assert names == ["a-b", "a-b-2", "A_B", "A-B-3", "a-b-4"]


def test_a_registered_job_gets_no_note():
    cron = translate_one(entry(crontab(minute=0, hour=3), args=(1, 2)))
    assert cron.mapped
    assert cron.notes == ()
    assert cron.cron == {"job": ADD, "schedule": "0 3 * * *", "args": [1, 2]}


def test_a_task_name_no_job_has_is_kept_with_a_note():
    cron = translate_one(entry(crontab(minute=0), task="proj.celery_tasks.add"))
    assert cron.mapped
    assert cron.cron["job"] == "proj.celery_tasks.add"
    (note,) = cron.notes
    assert "No registered job is named 'proj.celery_tasks.add'" in note
    assert '@job(name="proj.celery_tasks.add")' in note
    assert "Registered jobs with that function name: tests.testapp.tasks.add." in note


def test_args_a_job_does_not_accept_are_noted():
    cron = translate_one(entry(crontab(minute=0), args=[1], kwargs={"c": 3}))
    assert cron.mapped
    assert cron.notes == (
        f"{ADD} does not accept these args and kwargs: missing a required argument: 'b'.",
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"args": [datetime(2030, 1, 1)]},
            "argument 'args' (at args[0]) is a value of type "
            "datetime.datetime, which is not JSON serializable",
        ),
        ({"kwargs": {"x": float("nan")}}, "nan"),
    ],
)
def test_arguments_that_are_not_json_cannot_map(fields, reason):
    cron = translate_one(entry(crontab(minute=0), **fields))
    assert reason in cron.problem


def test_celerys_own_tasks_cannot_map():
    cron = translate_one(entry(crontab(minute=0, hour=4), task="celery.backend_cleanup"))
    assert cron.problem == (
        "celery.backend_cleanup is one of Celery's own tasks; Hatchet keeps and expires its run "
        "history itself, so there is nothing to run"
    )


@pytest.mark.parametrize(
    ("zone", "note"),
    [
        (
            ("Europe/Paris", "CELERY_TIMEZONE"),
            "Celery runs this crontab in Europe/Paris time (CELERY_TIMEZONE), UTC+01:00 in "
            "January and UTC+02:00 in July (a UTC cron cannot follow daylight saving time); "
            "Hatchet crons run in UTC: convert the schedule's times to UTC.",
        ),
        (
            ("Asia/Kolkata", "TIME_ZONE"),
            "Celery runs this crontab in Asia/Kolkata time (TIME_ZONE), UTC+05:30; Hatchet "
            "crons run in UTC: convert the schedule's times to UTC.",
        ),
        (
            ("America/Nowhere", "CELERY_TIMEZONE"),
            "Celery runs this crontab in America/Nowhere time (CELERY_TIMEZONE); Hatchet crons "
            "run in UTC: convert the schedule's times to UTC.",
        ),
    ],
)
def test_a_crontab_outside_utc_gets_a_note_and_is_not_converted(zone, note):
    cron = translate_one(entry(crontab(minute=0, hour=9), task=ECHO), zone)
    assert cron.cron["schedule"] == "0 9 * * *"
    assert cron.notes == (note,)


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "GMT", "utc"])
def test_utc_needs_no_note(zone):
    cron = translate_one(entry(crontab(minute=0, hour=9), task=ECHO), (zone, "CELERY_TIMEZONE"))
    assert cron.notes == ()


def test_an_interval_has_no_timezone_to_convert():
    cron = translate_one(entry(timedelta(hours=1)), ("Europe/Paris", "CELERY_TIMEZONE"))
    assert all("Europe/Paris" not in note for note in cron.notes)


def test_a_crontabs_own_timezone_wins():
    read = Crontab(minute="0", hour="9", timezone="America/New_York")
    cron = translate_one(BeatEntry("PeriodicTask 'x'", "x", ECHO, read))
    assert cron.notes[0].startswith(
        "Celery runs this crontab in America/New_York time (the crontab's timezone)"
    )
    utc = Crontab(minute="0", hour="9", timezone="UTC")
    cron = translate_one(BeatEntry("PeriodicTask 'x'", "x", ECHO, utc), ("Europe/Paris", "X"))
    assert cron.notes == ()


# CELERY_BEAT_SCHEDULE ------------------------------------------------------------------------


def test_options_and_other_keys_are_dropped_with_a_note():
    with override_settings(
        CELERY_BEAT_SCHEDULE={
            "x": {
                "task": ADD,
                "schedule": crontab(minute=0),
                "args": (1, 2),
                "options": {"queue": "reports", "expires": 60, "priority": 5},
                "relative": True,
            }
        }
    ):
        (read,) = setting_entries()
    assert read.dropped == ("relative=True", "queue='reports'", "expires=60", "priority=5")
    cron = translate_one(read)
    assert cron.mapped
    assert cron.notes == (
        "Dropped Celery options, which have no per-cron equivalent: relative=True, "
        "queue='reports', expires=60, priority=5. Set a queue or a priority on the job instead "
        "(@job(queue=..., priority=...)).",
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not a dict", "it is a str, not a dict"),
        ({"schedule": 60}, "it has no 'task'"),
        (
            {"task": ADD, "schedule": 60, "args": "1, 2"},
            "its args are a str, not a list or a tuple",
        ),
        ({"task": ADD, "schedule": 60, "kwargs": [1]}, "its kwargs are a list, not a dict"),
        ({"task": ADD}, "no schedule is not a schedule it knows"),
        ({"task": None, "schedule": 60}, "its task None is not a task name"),
    ],
)
def test_entries_of_the_wrong_shape_cannot_map(value, reason):
    with override_settings(CELERY_BEAT_SCHEDULE={"x": value}):
        (read,) = setting_entries()
    assert translate_one(read).problem == reason


def test_options_that_are_not_a_dict_are_dropped_as_they_are():
    with override_settings(CELERY_BEAT_SCHEDULE={"x": {"task": ADD, "schedule": 60, "options": 1}}):
        (read,) = setting_entries()
    assert read.dropped == ("options=1",)


def test_a_setting_that_is_not_set_or_not_a_dict():
    assert beat_read.setting_entries() is None
    with (
        override_settings(CELERY_BEAT_SCHEDULE=[("x", {})]),
        pytest.raises(BeatScheduleError, match="CELERY_BEAT_SCHEDULE must be a dict of periodic"),
    ):
        beat_read.setting_entries()


@pytest.mark.parametrize(
    ("setting", "values", "expected"),
    [
        ("CELERY_BEAT_SCHEDULE", {}, ("UTC", "TIME_ZONE")),  # The test settings' TIME_ZONE
        (
            "CELERY_BEAT_SCHEDULE",
            {"CELERY_TIMEZONE": "Europe/Paris"},
            ("Europe/Paris", "CELERY_TIMEZONE"),
        ),
        ("CELERY_BEAT_SCHEDULE", {"TIME_ZONE": "Asia/Tokyo"}, ("Asia/Tokyo", "TIME_ZONE")),
        ("beat_schedule", {"timezone": "Europe/Oslo"}, ("Europe/Oslo", "timezone")),
        (
            "TASKS_BEAT_SCHEDULE",
            {"TASKS_TIMEZONE": ZoneInfo("Asia/Tokyo")},
            ("Asia/Tokyo", "TASKS_TIMEZONE"),
        ),
        ("PERIODIC", {"CELERY_TIMEZONE": "Europe/Oslo"}, ("Europe/Oslo", "CELERY_TIMEZONE")),
        ("CELERY_BEAT_SCHEDULE", {"TIME_ZONE": None}, ("UTC", "CELERY_TIMEZONE")),
    ],
)
def test_celerys_timezone(setting, values, expected):
    with override_settings(**values):
        assert beat_read.celery_timezone(setting) == expected


# django-celery-beat's rows -------------------------------------------------------------------


def row(name: str = "x", task: str = ADD, **fields: Any) -> SimpleNamespace:
    """A PeriodicTask row, with the columns django-celery-beat 2.x gives it."""
    columns: dict[str, Any] = {
        "interval": None,
        "crontab": None,
        "solar": None,
        "clocked": None,
        "args": "[]",
        "kwargs": "{}",
        "queue": None,
        "exchange": None,
        "routing_key": None,
        "headers": "{}",
        "priority": None,
        "expires": None,
        "expire_seconds": None,
        "one_off": False,
        "start_time": None,
        "enabled": True,
    }
    columns.update(fields)
    return SimpleNamespace(name=name, task=task, **columns)


def crontab_row(**fields: Any) -> SimpleNamespace:
    columns: dict[str, Any] = {"minute": "*", "hour": "*", "day_of_month": "*"}
    columns["month_of_year"] = "*"
    columns |= {"day_of_week": "*", "timezone": ZoneInfo("UTC"), **fields}
    return SimpleNamespace(**columns)


def test_rows_of_each_kind_are_read():
    tab = crontab_row(
        minute="0", hour="7", day_of_week="mon-fri", timezone=ZoneInfo("Europe/Paris")
    )
    rows = [
        row("tab", crontab=tab, args="[1, 2]"),
        row("every", interval=SimpleNamespace(every=2, period="hours"), kwargs='{"b": 2, "a": 1}'),
        row("tiny", interval=SimpleNamespace(every=500, period="microseconds")),
        row("odd", interval=SimpleNamespace(every=2, period="fortnights")),
        row("sun", solar=SimpleNamespace(event="sunset", latitude=1, longitude=2)),
        row("once", clocked=SimpleNamespace(clocked_time="2030-01-01 09:00"), one_off=True),
        row("none"),
    ]
    read = [beat_read.row_entry(r) for r in rows]
    assert [r.schedule for r in read] == [
        Crontab("0", "7", "*", "*", "mon-fri", "Europe/Paris"),
        Interval(timedelta(hours=2)),
        Interval(timedelta(microseconds=500)),
        Unknown("every 2 fortnights"),
        Solar("sunset", 1, 2),
        Clocked("2030-01-01 09:00"),
        Unknown("no schedule"),
    ]
    assert read[0].origin == "PeriodicTask 'tab'"
    assert read[0].args == [1, 2]
    assert read[1].kwargs == {"b": 2, "a": 1}
    assert all(r.from_database and r.problem is None for r in read)  # one_off is a clocked's way
    crons = beat_translate.translate(read)
    assert [c.cron["schedule"] for c in crons] == ["0 7 * * 1-5", "0 */2 * * *"] + ["TODO"] * 5
    assert crons[5].problem == "a clocked task is a one-off: use job.apply_async(eta=...)"


def test_row_columns_that_cannot_map():
    disabled = beat_read.row_entry(
        row(interval=SimpleNamespace(every=1, period="days"), enabled=False)
    )
    assert translate_one(disabled).cron == {"job": ADD, "schedule": "0 0 * * *", "enabled": False}
    options = beat_read.row_entry(
        row(queue="q", priority=3, headers='{"h": 1}', expire_seconds=30, exchange="")
    )
    assert options.dropped == (
        "queue='q'",
        "headers='{\"h\": 1}'",
        "priority=3",
        "expire_seconds=30",
    )
    one_off = beat_read.row_entry(row(crontab=crontab_row(minute="0"), one_off=True))
    assert one_off.problem == (
        "it is a one-off task (one_off): Celery runs it once, then disables it; use "
        "job.apply_async(eta=...) instead"
    )
    assert beat_read.row_entry(row(args="[1,")).problem.startswith(
        "its args are not valid JSON (Expecting value"
    )
    assert beat_read.row_entry(row(kwargs="[1]")).problem == (
        "its kwargs are a JSON list, not a dict"
    )
    assert beat_read.row_entry(row(args="", kwargs=None)).problem is None


def test_rows_that_repeat_the_setting_are_left_out():
    with override_settings(CELERY_BEAT_SCHEDULE={"nightly sum": {"task": ADD, "schedule": 3600}}):
        entries = setting_entries()
    entries += [
        beat_read.row_entry(row("nightly sum", interval=SimpleNamespace(every=1, period="hours"))),
        beat_read.row_entry(row("nightly-sum", interval=SimpleNamespace(every=1, period="hours"))),
    ]
    crons = beat_translate.translate(entries)
    assert [(c.name, c.duplicate_of) for c in crons] == [
        ("nightly-sum", None),
        ("nightly-sum", "CELERY_BEAT_SCHEDULE['nightly sum']"),
        ("nightly-sum-2", None),
    ]
    snippet = beat_render.render(crons, ["CELERY_BEAT_SCHEDULE", beat_read.DATABASE])
    assert "# Left out: it repeats CELERY_BEAT_SCHEDULE['nightly sum'], above" in snippet
    assert list(crons_of(snippet)) == ["nightly-sum", "nightly-sum-2"]


class FakeRows(list[Any]):
    def select_related(self, *fields: str) -> FakeRows:
        assert fields == ("interval", "crontab", "solar", "clocked")
        return self

    def order_by(self, field: str) -> FakeRows:
        assert field == "name"
        return self


def test_database_rows_come_from_the_periodic_task_model(monkeypatch):
    from django.apps import apps

    rows = FakeRows([row("a")])
    models: list[str] = []

    def get_model(label: str) -> Any:
        models.append(label)
        return SimpleNamespace(_default_manager=rows)

    monkeypatch.setattr(apps, "get_model", get_model)
    assert beat_read.database_rows() == [rows[0]]
    assert models == ["django_celery_beat.PeriodicTask"]
    assert [e.name for e in beat_read.database_entries()] == ["a"]


def test_a_database_without_the_table_is_reported(monkeypatch):
    from django.apps import apps

    class Broken(FakeRows):
        def __iter__(self):
            raise DatabaseError("no such table: django_celery_beat_periodictask")

    monkeypatch.setattr(apps, "get_model", lambda label: SimpleNamespace(_default_manager=Broken()))
    with pytest.raises(BeatScheduleError, match=r"no such table.*has manage.py migrate run\?"):
        beat_read.database_rows()


def test_reading_needs_django_celery_beat_installed_for_the_db():
    assert not beat_read.database_installed()
    with pytest.raises(BeatScheduleError, match="django_celery_beat is not in INSTALLED_APPS"):
        beat_read.read("db")
    with pytest.raises(BeatScheduleError, match="Unknown source 'both'"):
        beat_read.read("both")


# The snippet ---------------------------------------------------------------------------------


SCHEDULE = {
    "nightly sum": {"task": ADD, "schedule": crontab(minute=0, hour=3), "args": (1, 2)},
    "every quarter": {
        "task": ECHO,
        "schedule": timedelta(minutes=15),
        "kwargs": {"label": 'a "quoted" value', "flags": [True, False, None], "ratio": 0.5},
        "options": {"queue": "fast"},
    },
    "half minute": {"task": ECHO, "schedule": 30.0},
    "weekdays": {"task": ECHO, "schedule": crontab(minute=30, hour=7, day_of_week="mon-fri")},
    "monthly": {"task": ECHO, "schedule": crontab(0, 0, day_of_month=1, month_of_year="jan-jun")},
    "90 min": {"task": ECHO, "schedule": timedelta(minutes=90)},
    "first monday": {"task": ECHO, "schedule": crontab(0, 9, day_of_week=1, day_of_month="1-7")},
    "long": {"task": ECHO, "schedule": 60, "args": ["x" * 40, "y" * 40, {"z": ["w" * 30] * 3}]},
}


def test_the_snippet_is_python_that_hatchet_accepts():
    reading = beat_read.Reading([], ["CELERY_BEAT_SCHEDULE"], [])
    with override_settings(CELERY_BEAT_SCHEDULE=SCHEDULE):
        crons = beat_translate.translate(setting_entries())
    snippet = beat_render.render(crons, reading.sources)
    value = crons_of(snippet)
    assert list(value) == [
        "nightly-sum",
        "every-quarter",
        "half-minute",
        "weekdays",
        "monthly",
        "long",
    ]
    assert value["every-quarter"] == {
        "job": ECHO,
        "schedule": "*/15 * * * *",
        "kwargs": {"label": 'a "quoted" value', "flags": [True, False, None], "ratio": 0.5},
    }
    assert value["long"]["args"] == ["x" * 40, "y" * 40, {"z": ["w" * 30] * 3}]
    assert cron_problems(value) == []
    with override_settings(HATCHET_CRONS=value):
        from django_hatchet.crons import load_crons

        assert len(load_crons()) == 6
    assert all(len(line) <= 100 for line in snippet.splitlines())
    assert '    # "90-min": {\n    #     "job": "tests.echo",\n    #     "schedule": "TODO",\n' in (
        snippet
    )
    assert '        "job": "tests.echo",\n        "schedule": "30 7 * * 1-5",' in snippet


def test_the_summary_counts_and_lists_what_cannot_map():
    with override_settings(CELERY_BEAT_SCHEDULE=SCHEDULE):
        crons = beat_translate.translate(setting_entries())
    reading = beat_read.Reading(
        [], ["CELERY_BEAT_SCHEDULE"], ["django_celery_beat is not in INSTALLED_APPS"]
    )
    lines = beat_render.summary(crons, reading)
    assert lines[0] == (
        "Read 8 periodic tasks from CELERY_BEAT_SCHEDULE: 6 map to crons, 2 cannot (commented out)."
    )
    assert lines[1] == "Not read: django_celery_beat is not in INSTALLED_APPS."
    assert lines[2] == "Cannot map:"
    assert lines[3].startswith("- CELERY_BEAT_SCHEDULE['90 min']: Hatchet crons are wall-clock")
    assert lines[4].startswith("- CELERY_BEAT_SCHEDULE['first monday']: it restricts both")
    assert lines[5].startswith("Read the notes on 3 crons (every-quarter, half-minute, long):")


# The command ---------------------------------------------------------------------------------


@override_settings(CELERY_BEAT_SCHEDULE=SCHEDULE, CELERY_TIMEZONE="Europe/Paris")
def test_the_command_prints_the_snippet_and_a_summary():
    out, err = run()
    value = crons_of(out)
    assert value["nightly-sum"] == {"job": ADD, "schedule": "0 3 * * *", "args": [1, 2]}
    assert value["half-minute"] == {"job": ECHO, "schedule": "*/30 * * * * *"}
    assert cron_problems(value) == []
    assert out.startswith("# HATCHET_CRONS from CELERY_BEAT_SCHEDULE, by manage.py ")
    assert "# Note: Celery runs this crontab in Europe/Paris time (CELERY_TIMEZONE)" in out
    assert "Dropped Celery options, which have no per-cron equivalent: queue='fast'." in out
    assert "# Cannot map: Hatchet crons are wall-clock schedules, not intervals: 90 minutes" in out
    assert err.startswith("Read 8 periodic tasks from CELERY_BEAT_SCHEDULE: 6 map to crons, 2 ")
    assert "Not read: django_celery_beat is not in INSTALLED_APPS." in err


@override_settings(
    beat_schedule={"tick": {"task": ADD, "schedule": 60, "args": [1, 2]}}, timezone="Asia/Tokyo"
)
def test_the_command_reads_another_setting():
    out, err = run("--setting", "beat_schedule", "--source", "settings")
    assert crons_of(out) == {"tick": {"job": ADD, "schedule": "* * * * *", "args": [1, 2]}}
    assert "beat_schedule[" in out
    assert "Not read" not in err


def test_the_command_reads_the_database(monkeypatch):
    monkeypatch.setattr(beat_read, "database_installed", lambda: True)
    rows = [
        row("hourly add", interval=SimpleNamespace(every=1, period="hours"), args="[1, 2]"),
        row("dawn", task=ECHO, solar=SimpleNamespace(event="dawn_civil", latitude=0, longitude=0)),
        row(
            "once",
            clocked=SimpleNamespace(clocked_time=datetime(2030, 1, 1, 9, tzinfo=timezone.utc)),
        ),
    ]
    monkeypatch.setattr(beat_read, "database_rows", lambda: rows)
    out, err = run("--source", "db")
    assert crons_of(out) == {"hourly-add": {"job": ADD, "schedule": "0 * * * *", "args": [1, 2]}}
    assert "# PeriodicTask 'dawn': solar('dawn_civil', 0, 0)" in out
    assert "# PeriodicTask 'once': clocked, once at 2030-01-01 09:00:00+00:00" in out
    assert "django-celery-beat's periodic tasks" in err
    with override_settings(
        CELERY_BEAT_SCHEDULE={"hourly add": {"task": ADD, "schedule": 3600, "args": [1, 2]}}
    ):
        out, err = run()
    assert list(crons_of(out)) == ["hourly-add"]
    assert "Read 4 periodic tasks from CELERY_BEAT_SCHEDULE and django-celery-beat's" in err
    assert "1 left out as repeats of the setting" in err


@override_settings(CELERY_BEAT_SCHEDULE={})
def test_an_empty_schedule_prints_an_empty_dict():
    out, err = run("--source", "settings")
    assert crons_of(out) == {}
    assert err.startswith("Read 0 periodic tasks from CELERY_BEAT_SCHEDULE: 0 map to crons")


@pytest.mark.parametrize(
    ("args", "settings", "message"),
    [
        (
            (),
            {},
            "Nothing to read: the CELERY_BEAT_SCHEDULE setting is not set and "
            "django_celery_beat is not in INSTALLED_APPS.",
        ),
        (("--source", "settings"), {}, "the CELERY_BEAT_SCHEDULE setting is not set"),
        (
            ("--source", "db"),
            {"CELERY_BEAT_SCHEDULE": {}},
            "django_celery_beat is not in INSTALLED",
        ),
        (
            (),
            {"CELERY_BEAT_SCHEDULE": "every day"},
            "CELERY_BEAT_SCHEDULE must be a dict of periodic tasks, not str.",
        ),
        (("--setting", "beat schedule"), {}, "'beat schedule' is not a setting name"),
        (("--source", "redis"), {}, "invalid choice: 'redis'"),
    ],
)
def test_bad_input_is_a_command_error(args, settings, message):
    with override_settings(**settings), pytest.raises(CommandError) as info:
        run(*args)
    assert message in str(info.value)
