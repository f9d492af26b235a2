"""The demo shop's pages (testproject), walked inline by tests/demo_walk.py: the chord, the
workflow and the durable job it shows (docs/workflows.md points at them)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_demo_shows_a_chord_a_workflow_and_a_durable_wait(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHET_")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-m", "tests.demo_walk"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["home"] == 200
    [report] = seen["sales_report"]
    found = re.search(
        r"a chord of (\d+) \+ 1 steps\): run <a href=\S+>\S+</a> is COMPLETED", report
    )
    assert found, report
    assert f"&#x27;orders&#x27;: {found[1]}, &#x27;revenue&#x27;" in report
    [fulfilled] = seen["fulfil"]
    assert "orders.fulfil" in fulfilled
    assert "&#x27;ship&#x27;: &#x27;order #1 shipped" in fulfilled
    [waited] = seen["ask_approval"]
    assert "&#x27;approved&#x27;: False" in waited  # Inline, the wait ends at once.
    [sent] = seen["approve"]
    assert "orders.approved.1" in sent
    assert seen["page_says_inline_waits_end"] is True
    assert seen["mode"] == ["Mode: inline."]
    assert seen["run_pages"] == [200, 200]  # The runs' links open their admin pages.
