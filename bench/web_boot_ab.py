"""Row 2's start-up, before and after a change: django_hatchet at a git revision against the
working tree, in fresh interpreters, alternating (``bench/web_boot.py hatchet``: a web process
with no token that sets Django up and runs a job inline; OpenTelemetry and Sentry hidden, as
if not installed).

    python bench/web_boot_ab.py REVISION [PAIRS]

Prints the median CPU time of each and the median of the differences within a pair.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def boot(root: Path, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, str(root / "bench" / "web_boot.py"), "hatchet"],
        capture_output=True,
        text=True,
        check=True,
        env={**env, "PYTHONPATH": str(root)},
    ).stdout
    data = json.loads(out)
    if not data["hatchet_from"].startswith(str(root)):
        raise RuntimeError(f"django_hatchet came from {data['hatchet_from']}, not {root}")
    return float(data["cpu"])


def main(revision: str, pairs: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHET_")}
    with tempfile.TemporaryDirectory() as base:
        archive = subprocess.run(
            ["git", "archive", revision, "django_hatchet", "bench"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", base], input=archive, check=True)
        roots = {revision: Path(base), "working tree": ROOT}
        for root in roots.values():  # Read from bytecode, as after pip install.
            subprocess.run(
                [sys.executable, "-m", "compileall", "-q", str(root / "django_hatchet")],
                check=True,
            )
        cpu: dict[str, list[float]] = {name: [] for name in roots}
        for pair in range(pairs):
            for name in list(roots)[:: 1 if pair % 2 == 0 else -1]:
                cpu[name].append(boot(roots[name], env))
    before, after = cpu[revision], cpu["working tree"]
    added = statistics.median(a - b for a, b in zip(after, before, strict=True))
    print(
        f"{pairs} pairs: {revision} {statistics.median(before) * 1000:.1f} ms of CPU, the working "
        f"tree {statistics.median(after) * 1000:.1f} ms; added {added * 1000:+.2f} ms "
        f"({statistics.median(after) / statistics.median(before):.3f}x)"
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 60)
