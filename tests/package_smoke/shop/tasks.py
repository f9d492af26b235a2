from django_hatchet import job


@job(retries=2, timeout=30)
def add(a: int, b: int) -> int:
    return a + b
