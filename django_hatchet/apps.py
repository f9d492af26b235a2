from __future__ import annotations

import sys
from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed


def _reset_settings(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("HATCHET_"):
        from .conf import conf

        conf.reset()
        engine = sys.modules.get("django_hatchet.engine")  # Never import the SDK for this.
        if engine is not None:
            engine.reset_client()
        from . import backends

        backends.reset()


class DjangoHatchetConfig(AppConfig):
    name = "django_hatchet"
    verbose_name = "Hatchet jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.checks import register as register_check

        from . import checks
        from .job_registry import registry
        from .single_flight import check_single_flight

        checks.register()
        register_check(check_single_flight)
        setting_changed.connect(_reset_settings, dispatch_uid="django_hatchet.reset_settings")
        registry.autodiscover()
