"""The pytest plugin's former path: registers ``django_hatchet.testing.pytest_plugin``, once.

Not a re-export: a second module holding the same fixtures and hooks would be a second
plugin when both paths are loaded (the installed entry point and ``-p`` or ``pytest_plugins``
naming the other), and the report hook would run twice. This module has no fixtures; at
configure time (after ``-p`` and the entry points are loaded) it registers the plugin module
unless it is registered already, under any name.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register ``django_hatchet.testing.pytest_plugin`` unless it is registered already."""
    from .testing import pytest_plugin

    if not config.pluginmanager.is_registered(pytest_plugin):
        config.pluginmanager.register(pytest_plugin, pytest_plugin.__name__)
