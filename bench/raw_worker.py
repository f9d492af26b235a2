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


class Step(BaseModel):
    n: int = 0


def define_workflows(hatchet: Hatchet) -> tuple[Any, Any]:
    """The workflow row's peers, written by hand: a DAG of three steps (a chain of 3), and a
    one-step task that the driver runs many at once (a group)."""
    chain3 = hatchet.workflow(name="bench.chain3", input_validator=Step)

    @chain3.task()
    def first(input: Step, ctx: Context) -> dict[str, int]:
        return {"n": input.n + 1}

    @chain3.task(parents=[first])
    def second(input: Step, ctx: Context) -> dict[str, int]:
        return {"n": ctx.task_output(first)["n"] + 1}

    @chain3.task(parents=[second])
    def third(input: Step, ctx: Context) -> dict[str, int]:
        return {"n": ctx.task_output(second)["n"] + 1}

    @hatchet.task(name="bench.raw_step", input_validator=Step)
    def raw_step(input: Step, ctx: Context) -> dict[str, int]:
        return {"n": input.n + 1}

    return chain3, raw_step


if __name__ == "__main__":
    slots = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    hatchet = Hatchet()
    workflows = [define(hatchet), *define_workflows(hatchet)]
    hatchet.worker("bench-raw", slots=slots, workflows=workflows).start()
