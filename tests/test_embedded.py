from __future__ import annotations

import json
import os

from django.test import override_settings

from django_hatchet import embedded
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
