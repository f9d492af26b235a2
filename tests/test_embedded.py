from __future__ import annotations

import json
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_hatchet import embedded
from django_hatchet.checks import check_environment
from django_hatchet.conf import conf

CONNECTION = {"token": "t", "host_port": "127.0.0.1:7377", "server_url": "http://127.0.0.1:9188"}


def test_publish_read_withdraw(tmp_path):
    path = tmp_path / "engine.json"
    with override_settings(HATCHET_EMBEDDED_CONNECTION_FILE=str(path)):
        assert embedded.read() is None
        assert embedded.publish(CONNECTION) == path
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        assert embedded.read() == {**CONNECTION, "pid": os.getpid()}
        embedded.withdraw()
        assert not path.exists()


def test_a_connection_whose_owner_died_is_ignored(tmp_path):
    path = tmp_path / "engine.json"
    path.write_text(json.dumps({**CONNECTION, "pid": 2**22 + 12345}))
    with override_settings(HATCHET_EMBEDDED_CONNECTION_FILE=str(path)):
        assert embedded.read() is None


def test_embedded_setting_uses_the_published_engine(tmp_path):
    path = tmp_path / "engine.json"
    with override_settings(HATCHET_EMBEDDED_CONNECTION_FILE=str(path)):
        embedded.publish(CONNECTION)
        assert conf.CLIENT_TOKEN is None  # Off unless HATCHET_EMBEDDED says so.
        with override_settings(HATCHET_EMBEDDED=True):
            assert conf.CLIENT_TOKEN == "t"
            assert conf.TOKEN_SOURCE == "embedded"
            assert conf.CLIENT_OPTIONS == {
                "host_port": "127.0.0.1:7377",
                "server_url": "http://127.0.0.1:9188",
                "tls_strategy": "none",
            }
        embedded.withdraw()


def test_embedded_without_a_running_engine_is_inline(tmp_path):
    with override_settings(
        HATCHET_EMBEDDED=True, HATCHET_EMBEDDED_CONNECTION_FILE=str(tmp_path / "x")
    ):
        assert conf.INLINE


# HATCHET_EMBEDDED from the environment ----------------------------------------------------------


@pytest.fixture
def published(tmp_path, settings):
    """An engine's connection, published; HATCHET_EMBEDDED not in the settings."""
    settings.HATCHET_EMBEDDED_CONNECTION_FILE = str(tmp_path / "engine.json")
    if hasattr(settings, "HATCHET_EMBEDDED"):
        del settings.HATCHET_EMBEDDED
    embedded.publish(CONNECTION)
    yield settings
    embedded.withdraw()


@pytest.mark.parametrize("value", ["1", "true", "True", "yes", "on"])
def test_the_environment_variable_turns_embedded_mode_on(published, monkeypatch, value):
    monkeypatch.setenv("HATCHET_EMBEDDED", value)
    conf.reset()
    assert conf.CLIENT_TOKEN == "t"
    assert conf.TOKEN_SOURCE == "embedded"
    assert check_environment() == []


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_the_environment_variable_can_say_no(published, monkeypatch, value):
    monkeypatch.setenv("HATCHET_EMBEDDED", value)
    conf.reset()
    assert conf.CLIENT_TOKEN is None


def test_the_setting_wins_over_the_environment_with_a_warning(published, monkeypatch):
    monkeypatch.setenv("HATCHET_EMBEDDED", "1")
    published.HATCHET_EMBEDDED = False
    conf.reset()
    assert conf.CLIENT_TOKEN is None
    [warning] = check_environment()
    assert warning.id == "django_hatchet.W003"
    assert warning.msg == (
        "HATCHET_EMBEDDED is False in the settings, and the environment variable "
        "HATCHET_EMBEDDED is '1': the setting wins, so the environment variable is ignored."
    )
    published.HATCHET_EMBEDDED = True
    assert check_environment() == []


def test_a_value_that_is_neither_yes_nor_no_is_refused(published, monkeypatch):
    monkeypatch.setenv("HATCHET_EMBEDDED", "maybe")
    conf.reset()
    message = (
        "The environment variable HATCHET_EMBEDDED is 'maybe', which is neither true "
        "(1, true, yes, on) nor false (0, false, no, off, or empty)."
    )
    with pytest.raises(ImproperlyConfigured) as refused:
        conf.CLIENT_TOKEN  # noqa: B018
    assert str(refused.value) == message
    [error] = check_environment()
    assert (error.id, error.msg) == ("django_hatchet.E012", message)
