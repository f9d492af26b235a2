"""The benchmarks' job: it only notes that it ran (see bench/probe.py)."""

from bench import probe
from django_hatchet import job, workflow


@job(name="bench.noop")
def noop(path: str, enqueued_at: float) -> None:
    probe.hit(path, enqueued_at)


@job(name="bench.step")
def step(n: int = 0) -> int:
    """A step of the workflow row's canvases: adds one."""
    return n + 1


#: The workflow row's declared workflow: the raw SDK's DAG of three steps, the Django way.
chain3 = workflow("bench.chain3_flow")


@chain3.step()
def first(n: int) -> int:
    return n + 1


@chain3.step(parents=[first])
def second(n: int, first: int) -> int:
    return first + 1


@chain3.step(parents=[second])
def third(n: int, second: int) -> int:
    return second + 1
