"""Celery's canvas on Hatchet: signatures, chain, group and chord.

``signature`` is a job with some of its arguments; ``shapes`` composes them; ``plan`` turns a
canvas into the JSON a run carries and walks it, step after step; ``inline`` runs it in this
process; ``handle`` is what ``apply_async()`` returns. On an engine a canvas is one durable
run that starts each step as its child run (``django_hatchet.worker.canvas``)."""
