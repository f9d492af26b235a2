"""Signals sent around each run, in inline mode and on a worker alike.

- ``job_enqueued(sender=Job, run=JobRun)``: a run was dispatched (after the commit, for a run
  enqueued in a transaction).
- ``job_started(sender=Job, run_id=str, attempt=int)``: a run's function is about to be called.
- ``job_finished(sender=Job, run_id=str, attempt=int, status=RunStatus, error=Exception|None)``:
  it returned (status COMPLETED) or raised (status FAILED).
"""

from django.dispatch import Signal

job_enqueued = Signal()
job_started = Signal()
job_finished = Signal()
