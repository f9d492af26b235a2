from __future__ import annotations

import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

import django_hatchet
from django_hatchet.conf import conf


def test_defaults(settings):
    del settings.HATCHET_AUTODISCOVER_MODULES  # The test settings add one.
    assert conf.CLIENT_TOKEN is None
    assert conf.INLINE is True
    assert conf.ENQUEUE_ON_COMMIT is True
    assert conf.INLINE_PROPAGATE_EXCEPTIONS is False
    assert conf.AUTODISCOVER_MODULES == ("tasks", "jobs")
    assert django_hatchet.jobs_enabled() is False


def test_token_from_settings_enables_jobs():
    with override_settings(HATCHET_CLIENT_TOKEN="a-token"):
        assert conf.CLIENT_TOKEN == "a-token"
        assert conf.TOKEN_SOURCE == "settings"
        assert django_hatchet.jobs_enabled() is True
    assert django_hatchet.jobs_enabled() is False


def test_token_from_environment_enables_jobs():
    os.environ["HATCHET_CLIENT_TOKEN"] = "env-token"
    conf.reset()
    assert conf.CLIENT_TOKEN == "env-token"
    assert conf.TOKEN_SOURCE == "environment"
    assert django_hatchet.jobs_enabled() is True


def test_empty_token_means_no_token():
    with override_settings(HATCHET_CLIENT_TOKEN=""):
        assert conf.CLIENT_TOKEN is None
        assert django_hatchet.jobs_enabled() is False


@override_settings(HATCHET_CLIENT_TOKEN="a-token", HATCHET_ALWAYS_INLINE=True)
def test_always_inline_wins_over_a_token():
    assert conf.INLINE is True
    assert django_hatchet.jobs_enabled() is False


def test_override_settings_is_seen_at_once():
    assert conf.ENQUEUE_ON_COMMIT is True
    with override_settings(HATCHET_ENQUEUE_ON_COMMIT=False):
        assert conf.ENQUEUE_ON_COMMIT is False
    assert conf.ENQUEUE_ON_COMMIT is True


@override_settings(HATCHET_ENQUEUE_ON_COMMIT="no")
def test_wrong_type_raises_improperly_configured_naming_the_setting():
    with pytest.raises(
        ImproperlyConfigured, match=r"HATCHET_ENQUEUE_ON_COMMIT must be True or False, not str"
    ):
        _ = conf.ENQUEUE_ON_COMMIT
