"""The admin's building blocks: redaction, figures, the chart, the mode, @about."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from django_hatchet import redaction
from django_hatchet.admin import display, overview, stats
from django_hatchet.conf import conf
from django_hatchet.jobs.about import about
from tests.admin_fixtures import FAKE_TOKEN, row


def test_redact_replaces_secret_keys_at_any_depth_without_case():
    value = {"user": {"DB_Password": "x", "name": "ann"}, "items": [{"api-key": "k"}], "n": 1}
    assert redaction.redact(value, ("password", "api_key")) == {
        "user": {"DB_Password": "********", "name": "ann"},
        "items": [{"api-key": "********"}],
        "n": 1,
    }


@override_settings(HATCHET_CLIENT_TOKEN=FAKE_TOKEN)
def test_the_token_is_scrubbed_from_any_text():
    assert display.scrub(f"bad token {FAKE_TOKEN}!") == "bad token ********!"
    assert FAKE_TOKEN not in display.as_json({"note": FAKE_TOKEN})


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("https://h/runs/", 'None or a URL with "{run_id}"'),
        (3, 'None or a URL with "{run_id}"'),
    ],
)
def test_dashboard_url_must_name_the_run(value, error):
    with override_settings(HATCHET_DASHBOARD_URL=value), pytest.raises(ImproperlyConfigured) as e:
        _ = conf.DASHBOARD_URL
    assert error in str(e.value)


def test_redact_keys_must_be_a_list_of_strings():
    with (
        override_settings(HATCHET_ADMIN_REDACT_KEYS="password"),
        pytest.raises(ImproperlyConfigured),
    ):
        _ = conf.ADMIN_REDACT_KEYS


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))
    assert stats.percentile(values, 50) == 50
    assert stats.percentile(values, 95) == 95
    assert stats.percentile([7], 95) == 7
    assert stats.percentile([], 50) is None


def test_job_stats_count_by_status_and_time_finished_runs():
    rows = [row(), row(status="FAILED", duration_ms=3000), row(status="RUNNING", duration_ms=None)]
    entry = stats.job_stats(rows, ["tests.echo", "other"])["tests.echo"]
    assert entry.counts == {"QUEUED": 0, "RUNNING": 1, "COMPLETED": 1, "FAILED": 1, "CANCELLED": 0}
    assert entry.p50 == 1500
    assert entry.p95 == 3000


def test_buckets_put_runs_in_their_hour():
    now = timezone.now()
    rows = [row(created_at=now), row(created_at=now - timedelta(hours=2)), row(created_at=None)]
    data = stats.buckets(rows, now)
    assert len(data) == 24
    assert data[-1][1]["COMPLETED"] == 1
    assert data[-3][1]["COMPLETED"] == 1
    svg = stats.svg_chart(data)
    assert svg.count("<rect") == 2
    assert "1 completed" in svg


def test_the_mode_names_the_engine_from_the_token_claims():
    assert overview.token_host(FAKE_TOKEN) == "hatchet.example:7077"
    assert overview.token_host("not-a-jwt") == ""
    with override_settings(HATCHET_CLIENT_TOKEN=FAKE_TOKEN):
        assert overview.current_mode().label == "engine at hatchet.example:7077"
    with override_settings(HATCHET_CLIENT_TOKEN=FAKE_TOKEN, HATCHET_CLIENT_HOST_PORT="h:1"):
        assert overview.current_mode().label == "engine at h:1"
    with override_settings(HATCHET_CLIENT_TOKEN=FAKE_TOKEN, HATCHET_ALWAYS_INLINE=True):
        assert "HATCHET_ALWAYS_INLINE" in overview.current_mode().detail


def test_about_tags_runs_with_their_object(define):
    module = define(
        """
        from django_hatchet import job
        from django_hatchet.jobs.about import about

        @about("testapp.Note", "note_id")
        @job(name="tests.about")
        def touch(note_id, force=False):
            return note_id
        """
    )
    assert module.touch.label_for([7], {}) == "testapp.note:7"
    assert module.touch.label_for([], {"note_id": 8}) == "testapp.note:8"
    assert module.touch.label_for([], {}) is None


def test_about_refuses_a_parameter_the_job_does_not_have(define):
    with pytest.raises(TypeError, match="has no parameter 'order_id'"):
        define(
            """
            from django_hatchet import job
            from django_hatchet.jobs.about import about

            @about("orders.Order", "order_id")
            @job(name="tests.about2")
            def touch(note_id):
                pass
            """
        )
    with pytest.raises(ValueError, match=r"app_label\.ModelName"):
        about("Order", "order_id")
