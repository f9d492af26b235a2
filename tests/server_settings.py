"""The test settings, with tests/server_app.py's views (tests/test_servers_engine.py)."""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.server_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
