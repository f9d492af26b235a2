"""A small shop that shows django-hatchet's jobs, runs and crons at work."""
