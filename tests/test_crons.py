from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_hatchet.crons import Cron, load_crons, schedule_error


@pytest.mark.parametrize(
    "schedule",
    [
        "* * * * *",
        "*/15 * * * *",
        "0 3 * * *",
        "0 9 * * 1-5",
        "0,30 8-18 1,15 1-12 0-6",
        "30 */5 * * * *",
        "@daily",
        " @hourly ",
        "@yearly",
        "@annually",
        "@monthly",
        "@weekly",
        "59 23 31 12 6",
    ],
)
def test_schedules_hatchet_accepts(schedule):
    assert schedule_error(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ("", "it has 0 fields, not 5 or 6"),
        ("* * * *", "it has 4 fields"),
        ("* * * * * * *", "it has 7 fields"),
        ("0 9 * * MON", "the day of week field 'MON' is not '*', a number"),
        ("0 0 1 JAN *", "the month field 'JAN'"),
        ("5/10 * * * *", "the minute field '5/10'"),
        ("*/0 * * * *", "has a step '0' that is not a whole number above 0"),
        ("60 * * * *", "the minute field '60' is outside 0-59"),
        ("0 24 * * *", "the hour field '24' is outside 0-23"),
        ("0 0 0 * *", "outside 1-31"),
        ("0 0 * 13 *", "outside 1-12"),
        ("0 0 * * 7", "outside 0-6"),
        ("60 * * * * *", "the second field '60'"),
        ("0 5-1 * * *", "'5-1' is a range that ends before it starts"),
        ("@every 5m", "it has 2 fields"),
        ("@reboot", "it has 1 fields"),
        ("? * * * *", "the minute field '?'"),
        ("0 9 * * 1,MON", "the day of week field '1,MON' has 'MON', which is not '*'"),
    ],
)
def test_schedules_hatchet_refuses(schedule, error):
    message = schedule_error(schedule)
    assert message is not None
    assert error in message


@override_settings(
    HATCHET_CRONS={
        "nightly": {"job": "tests.testapp.tasks.add", "schedule": " 0 3 * * * ", "args": (1, 2)},
        "off": {"job": "tests.echo", "schedule": "@daily", "kwargs": {"x": 1}, "enabled": False},
    }
)
def test_load_crons():
    assert load_crons() == [
        Cron("nightly", "tests.testapp.tasks.add", "0 3 * * *", [1, 2], {}, True),
        Cron("off", "tests.echo", "@daily", [], {"x": 1}, False),
    ]


@override_settings(HATCHET_CRONS={"bad name": {"job": "nope", "schedule": "x"}})
def test_load_crons_raises_listing_every_mistake():
    with pytest.raises(ImproperlyConfigured) as info:
        load_crons()
    message = str(info.value)
    assert "django_hatchet.E002" in message
    assert "django_hatchet.E004" in message
    assert "django_hatchet.E005" in message
