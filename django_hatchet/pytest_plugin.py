"""pytest fixtures for projects that use django-hatchet (registered as a pytest plugin).

- ``captured_jobs``: the runs enqueued during the test, not run (``django_hatchet.testing``).
- ``job_clock``: jobs run inline, countdown/eta runs wait for ``job_clock.advance(...)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .testing import CapturedRuns, VirtualClock, capture_jobs, virtual_clock


@pytest.fixture
def captured_jobs() -> Iterator[CapturedRuns]:
    with capture_jobs() as captured:
        yield captured


@pytest.fixture
def job_clock() -> Iterator[VirtualClock]:
    with virtual_clock() as clock:
        yield clock
