"""The benchmarks' job: it only notes that it ran (see bench/probe.py)."""

from bench import probe
from django_hatchet import job


@job(name="bench.noop")
def noop(path: str, enqueued_at: float) -> None:
    probe.hit(path, enqueued_at)


@job(name="bench.step")
def step(n: int = 0) -> int:
    """A step of the workflow row's canvases: adds one."""
    return n + 1
