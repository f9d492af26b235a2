"""A single-flight job, for tests/test_faults.py. It needs PostgreSQL (check E020), so the
test settings discover this module only on PostgreSQL."""

from __future__ import annotations

import time

from django_hatchet import job

from .models import Note


@job(queue="faults", single_flight=True)
def single(key: str, seconds: float) -> str:
    Note.objects.create(text=f"single:{key}")
    time.sleep(seconds)
    return key
