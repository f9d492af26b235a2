from __future__ import annotations

import sys
from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save


def _reset_settings(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("HATCHET_"):
        from .conf import conf

        conf.reset()
        client = sys.modules.get("django_hatchet.engine.client")  # Never import the SDK for this.
        if client is not None:
            client.reset_client()
        from . import backends

        backends.reset()
        if setting == "HATCHET_INTEGRATIONS":
            from .integrations import install

            install()


def _cron_changed(*, using: str, **kwargs: Any) -> None:
    """A cron made in the admin was saved or deleted: apply the crons once it commits."""
    from .crons.stored import sync_after_commit  # Not at start-up: only a save needs it.

    sync_after_commit(using)


class DjangoHatchetConfig(AppConfig):
    name = "django_hatchet"
    verbose_name = "Hatchet jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks
        from .jobs.registry import registry

        checks.register()
        for signal in (post_save, post_delete):
            signal.connect(_cron_changed, sender="django_hatchet.Cron", dispatch_uid=signal)
        setting_changed.connect(_reset_settings, dispatch_uid="django_hatchet.reset_settings")
        registry.autodiscover()
        from .integrations import install

        install()
