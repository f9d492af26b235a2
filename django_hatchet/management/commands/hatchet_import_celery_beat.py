from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...celery.beat.read import DEFAULT_SETTING, SOURCES, BeatScheduleError, celery_timezone, read
from ...celery.beat.render import render, summary
from ...celery.beat.translate import translate


def setting_name(value: str) -> str:
    if not value.isidentifier():
        raise argparse.ArgumentTypeError(f"{value!r} is not a setting name")
    return value


class Command(BaseCommand):
    help = (
        "Print HATCHET_CRONS translated from Celery beat's periodic tasks: the "
        "CELERY_BEAT_SCHEDULE setting and django-celery-beat's table. What cannot map is "
        "commented out, with the reason; a summary goes to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--setting",
            type=setting_name,
            default=DEFAULT_SETTING,
            metavar="NAME",
            help="The setting that holds the beat schedule (default: %(default)s); its prefix "
            "also names the timezone setting, e.g. beat_schedule and timezone.",
        )
        parser.add_argument(
            "--source",
            choices=SOURCES,
            default="all",
            help="Read the setting, django-celery-beat's PeriodicTask rows (db), or all of "
            "those available (default).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            reading = read(options["source"], options["setting"])
        except BeatScheduleError as exc:
            raise CommandError(str(exc)) from None
        crons = translate(reading.entries, celery_timezone(options["setting"]))
        self.stdout.write(render(crons, reading.sources), ending="")
        for line in summary(crons, reading):
            self.stderr.write(line)
