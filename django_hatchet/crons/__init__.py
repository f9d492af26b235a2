"""The crons of ``HATCHET_CRONS``: their grammar, the setting, and their sync with the engine.

``grammar`` parses and validates cron expressions; ``declared`` reads and checks the setting;
``sync`` plans and applies the engine's crons (it loads the SDK only when it talks to the
engine, through ``django_hatchet.engine.crons``). Only the light modules are re-exported here:
the system checks import this package.
"""

from __future__ import annotations

from .declared import Cron, Problem, cron_problems, load_crons, next_runs
from .grammar import SCHEDULE_HINT, next_fire, parse_schedule, schedule_error

__all__ = [
    "SCHEDULE_HINT",
    "Cron",
    "Problem",
    "cron_problems",
    "load_crons",
    "next_fire",
    "next_runs",
    "parse_schedule",
    "schedule_error",
]
