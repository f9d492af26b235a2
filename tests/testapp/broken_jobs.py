"""A jobs module that fails to import (tests/test_bad_input.py discovers it on purpose)."""

from django_hatchet import job


@job(name="tests.broken.never_registered")
def never_registered() -> None: ...


raise ZeroDivisionError("the module broke on purpose at import")
