from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...worker import Worker, inline_message


class Command(BaseCommand):
    help = "Run a Hatchet worker for every registered job and the crons in HATCHET_CRONS."

    def handle(self, *args: Any, **options: Any) -> None:
        message = inline_message()
        if message is not None:
            self.stdout.write(self.style.WARNING(message))
            return
        Worker().run()
