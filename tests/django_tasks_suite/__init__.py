"""The django-tasks backport's own test suite, run against HatchetBackend (conftest.py)."""
