"""The raw Hatchet SDK's peer of ``manage.py runworker``: the same job, as a plain SDK task.

python bench/raw_worker.py SLOTS   (HATCHET_CLIENT_* from the environment)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hatchet_sdk import Context, Hatchet
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import probe


class Probe(BaseModel):
    path: str
    enqueued_at: float


def noop(input: Probe, ctx: Context) -> None:
    probe.hit(input.path, input.enqueued_at)


def define(hatchet: Hatchet) -> Any:
    """The task, on this client (the bench's driver makes one client per namespace)."""
    return hatchet.task(name="bench.noop", input_validator=Probe)(noop)


if __name__ == "__main__":
    slots = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    hatchet = Hatchet()
    hatchet.worker("bench-raw", slots=slots, workflows=[define(hatchet)]).start()
