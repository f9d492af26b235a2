"""Celery beat's periodic tasks, translated into ``HATCHET_CRONS`` entries.

They are read from a setting (``CELERY_BEAT_SCHEDULE``) and from django-celery-beat's
``PeriodicTask`` rows. Neither Celery nor django-celery-beat is imported: their schedules are
read by the attributes they carry, so this works without them.

Imports flow one way: ``schedules`` <- ``read``; ``schedules`` <- ``expressions``;
``read``, ``expressions`` <- ``translate`` <- ``render``.
"""
