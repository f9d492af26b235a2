"""The workflow row's declared workflow (row 9): the raw SDK's DAG of three steps, the Django
way. Apart from ``tasks``, so that the web start-up row (bench/web_boot.py, which discovers
``tasks`` only) measures a project with jobs and no workflow; bench/settings.py discovers it."""

from django_hatchet import workflow

chain3 = workflow("bench.chain3_flow")


@chain3.step()
def first(n: int) -> int:
    return n + 1


@chain3.step(parents=[first])
def second(n: int, first: int) -> int:
    return first + 1


@chain3.step(parents=[second])
def third(n: int, second: int) -> int:
    return second + 1
