from __future__ import annotations

import sys
from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed


def _reset_settings(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("HATCHET_"):
        from .conf import conf

        conf.reset()
        client = sys.modules.get("django_hatchet.engine.client")  # Never import the SDK for this.
        if client is not None:
            client.reset_client()
        from . import backends

        backends.reset()


class DjangoHatchetConfig(AppConfig):
    name = "django_hatchet"
    verbose_name = "Hatchet jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks
        from .jobs.registry import registry

        checks.register()
        setting_changed.connect(_reset_settings, dispatch_uid="django_hatchet.reset_settings")
        registry.autodiscover()
