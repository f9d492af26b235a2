"""Profiles of django-hatchet's hot paths on the engine (pyinstrument), run by bench/run.py.

- enqueue: ``job.delay()`` in a loop against the engine (HATCHET_CLIENT_* in the environment);
- execution: the task function runworker gives the SDK for a job, around the job's function,
  with a stand-in for the SDK's Context, against calling the function bare.

    DJANGO_SETTINGS_MODULE=bench.settings python bench/profile_paths.py OUTDIR

Prints the figures as JSON on its last line; writes the full profiles to OUTDIR.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

from pyinstrument import Profiler  # noqa: E402

from bench.benchapp.tasks import noop  # noqa: E402
from django_hatchet.engine import client, dispatch  # noqa: E402
from django_hatchet.runs.metadata import RUN_ID_KEY  # noqa: E402
from django_hatchet.worker.execution import make_task_function  # noqa: E402

PACKAGE = str(Path(client.__file__).resolve().parent.parent)


def own_share(profiler: Profiler) -> tuple[float, str]:
    """The share of samples whose innermost frame is django_hatchet's, and the top functions."""
    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    totals: dict[str, float] = defaultdict(float)
    ours = 0.0
    total = 0.0

    def walk(frame: Any) -> None:
        nonlocal ours, total
        self_time = frame.total_self_time
        total += self_time
        if frame.file_path and frame.file_path.startswith(PACKAGE):
            ours += self_time
            where = frame.file_path[len(PACKAGE) + 1 :]
            totals[f"{where}:{frame.function}"] += self_time
        for child in frame.children:
            walk(child)

    if root is not None:
        walk(root)
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:8]
    text = "\n".join(f"{t / total * 100:5.1f} %  {name}" for name, t in top)
    return (ours / total if total else 0.0), text


def profile_enqueue(outdir: Path, calls: int) -> dict[str, Any]:
    dispatch.ensure_registered(noop.name, noop.options)
    for _ in range(50):
        noop.delay("", 0.0)
    profiler = Profiler(interval=0.0002)
    start = time.perf_counter()
    profiler.start()
    for _ in range(calls):
        noop.delay("", 0.0)
    profiler.stop()
    elapsed = time.perf_counter() - start
    (outdir / "profile-enqueue.txt").write_text(profiler.output_text(show_all=False))
    share, top = own_share(profiler)
    return {"calls": calls, "per_call_us": elapsed / calls * 1e6, "ours_share": share, "top": top}


class StubContext:
    """What our task function reads from the SDK's Context."""

    triggering_event_key = None
    additional_metadata: ClassVar[dict[str, str]] = {
        RUN_ID_KEY: "0190f0e2-0000-7000-8000-000000000000"
    }
    workflow_run_id = "0190f0e2-0000-7000-8000-000000000001"
    attempt_number = 1


def profile_execution(outdir: Path, calls: int) -> dict[str, Any]:
    task = make_task_function(noop)
    ctx: Any = StubContext()
    payload = {"args": ["", 0.0], "kwargs": {}}
    best_wrapped = best_bare = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            task(payload, ctx)
        best_wrapped = min(best_wrapped, (time.perf_counter() - start) / calls)
        start = time.perf_counter()
        for _ in range(calls):
            noop.func("", 0.0)
        best_bare = min(best_bare, (time.perf_counter() - start) / calls)
    profiler = Profiler(interval=0.0001)
    profiler.start()
    for _ in range(calls):
        task(payload, ctx)
    profiler.stop()
    (outdir / "profile-execution.txt").write_text(profiler.output_text(show_all=False))
    share, top = own_share(profiler)
    return {
        "calls": calls,
        "wrapper_us": best_wrapped * 1e6,
        "bare_us": best_bare * 1e6,
        "overhead_us": (best_wrapped - best_bare) * 1e6,
        "ours_share": share,
        "top": top,
    }


def main() -> None:
    outdir = Path(sys.argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    result = {"enqueue": profile_enqueue(outdir, 1000), "execute": profile_execution(outdir, 20000)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
