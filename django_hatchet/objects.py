"""Moved: ``@about`` is ``django_hatchet.about`` (``django_hatchet.jobs.about``)."""

from .jobs.about import about as about
