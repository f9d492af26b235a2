"""Applying ``HATCHET_CRONS`` to the engine: create, update and delete our crons only."""

from __future__ import annotations

from dataclasses import dataclass, field

from .crons import Cron


@dataclass
class CronPlan:
    next_runs: dict[str, str] = field(default_factory=dict)


def sync_crons(crons: list[Cron]) -> CronPlan:
    return CronPlan()
