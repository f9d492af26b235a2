from __future__ import annotations

import inspect
from datetime import timedelta

import pytest

from django_hatchet import AsyncJob, Job, Priority, job, registry
from django_hatchet.options import NAME_RE
from django_hatchet.runs.ids import new_run_id, run_id_time
from tests.testapp import tasks


def test_bare_decorator_registers_under_the_dotted_path(define):
    module = define(
        """
        from django_hatchet import job

        @job
        def send_receipt(order_id):
            return order_id
        """,
        "orders.tasks",
    )
    assert isinstance(module.send_receipt, Job)
    assert module.send_receipt.name == "orders.tasks.send_receipt"
    assert registry["orders.tasks.send_receipt"] is module.send_receipt


def test_decorator_with_options(define):
    module = define(
        """
        from datetime import timedelta
        from django_hatchet import job, Priority

        @job(name="orders.receipt", retries=3, timeout=90, schedule_timeout=timedelta(hours=1),
             backoff_factor=2, backoff_max_seconds=60, priority=Priority.HIGH,
             enqueue_on_commit=False)
        def send_receipt(order_id):
            return order_id
        """
    )
    receipt = module.send_receipt
    assert receipt.name == "orders.receipt"
    assert receipt.options.retries == 3
    assert receipt.options.timeout == timedelta(seconds=90)
    assert receipt.options.schedule_timeout == timedelta(hours=1)
    assert receipt.options.backoff_factor == 2
    assert receipt.options.backoff_max_seconds == 60
    assert receipt.options.priority is Priority.HIGH
    assert receipt.options.enqueue_on_commit is False


def test_empty_parentheses_work_like_bare(define):
    module = define("from django_hatchet import job\n@job()\ndef f():\n    return 1\n")
    assert module.f.name == "tests.defined.f"


def test_calling_a_job_runs_the_function_here():
    assert tasks.add(2, 3) == 5


async def test_calling_an_async_job_returns_a_coroutine():
    assert isinstance(tasks.async_add, AsyncJob)
    assert tasks.async_add.is_async
    assert await tasks.async_add(2, 3) == 5


def test_job_keeps_the_function_identity():
    assert tasks.add.__name__ == "add"
    assert tasks.add.__module__ == "tests.testapp.tasks"
    assert tasks.add.__wrapped__ is tasks.add.func
    assert list(inspect.signature(tasks.add).parameters) == ["a", "b"]
    assert repr(tasks.add) == "<Job tests.testapp.tasks.add>"


@pytest.mark.parametrize("name", ["orders:send", "orders/send", "send receipt", "", "é"])
def test_a_name_hatchet_refuses_is_refused_when_decorating(define, name):
    with pytest.raises(ValueError, match="is not one Hatchet accepts") as info:
        define(f"from django_hatchet import job\n@job(name={name!r})\ndef f():\n    pass\n")
    assert "tests.defined.f (/src/tests/defined.py:2)" in str(info.value)


def test_name_rule_matches_hatchet():
    assert NAME_RE.match("accounts.send-email_2")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ("retries='3'", TypeError, "retries must be an int, not str"),
        ("retries=True", TypeError, "retries must be an int, not bool"),
        ("retries=-1", ValueError, "retries must be 0 or more"),
        ("timeout='1m'", TypeError, "timeout must be a timedelta or a number of seconds"),
        ("timeout=0", ValueError, "timeout must be positive"),
        ("schedule_timeout=-5", ValueError, "schedule_timeout must be positive"),
        ("backoff_factor=0.5", ValueError, "backoff_factor must be between 1 and 1000"),
        ("backoff_factor='2'", TypeError, "backoff_factor must be a number"),
        ("backoff_max_seconds=100000", ValueError, "between 1 and 86400"),
        ("backoff_max_seconds=1.5", TypeError, "backoff_max_seconds must be an int"),
        ("priority=4", ValueError, r"priority must be 1 \(LOW\), 2 \(MEDIUM\) or 3 \(HIGH\)"),
        ("priority='high'", TypeError, "priority must be a django_hatchet.Priority"),
        ("enqueue_on_commit='yes'", TypeError, "enqueue_on_commit must be True, False or None"),
        ("name=42", TypeError, "name must be a string"),
    ],
)
def test_bad_options_name_the_function(define, options, error, message):
    with pytest.raises(error, match=message) as info:
        define(f"from django_hatchet import job\n@job({options})\ndef f():\n    pass\n")
    assert "@job on tests.defined.f" in str(info.value)


def test_unknown_option_is_a_type_error(define):
    with pytest.raises(TypeError, match="unexpected keyword argument 'retry'"):
        define("from django_hatchet import job\n@job(retry=3)\ndef f():\n    pass\n")


def test_job_name_as_positional_argument_is_refused():
    with pytest.raises(TypeError, match=r"@job decorates a function, not str.*@job\(name=\.\.\.\)"):
        job("orders.send")  # type: ignore[call-overload]


def test_a_class_is_refused(define):
    with pytest.raises(TypeError, match="decorates a function, not type"):
        define("from django_hatchet import job\n@job\nclass Receipt:\n    pass\n")


def test_nested_function_is_refused():
    def inner() -> None:
        pass

    with pytest.raises(TypeError, match="defined at module level"):
        job(inner)


def test_method_is_refused(define):
    with pytest.raises(TypeError, match="not methods"):
        define(
            "from django_hatchet import job\nclass C:\n    @job\n    def m(self):\n        pass\n"
        )


@pytest.mark.parametrize("source", ["def g():\n    yield 1", "async def g():\n    yield 1"])
def test_generators_are_refused(define, source):
    with pytest.raises(TypeError, match="cannot be a generator"):
        define(f"from django_hatchet import job\n@job\n{source}\n")


def test_decorating_twice_is_refused():
    with pytest.raises(TypeError, match="already a job"):
        job(tasks.add)


def test_new_run_ids_are_time_ordered_version_7_uuids():
    import uuid
    from datetime import datetime, timezone

    before = datetime.now(timezone.utc)
    ids = [new_run_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert abs((run_id_time(ids[0]) - before).total_seconds()) < 1
    assert [i[:13] for i in ids] == sorted(i[:13] for i in ids)
    for run_id in ids[:50]:
        parsed = uuid.UUID(run_id)
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == run_id


def test_ids_taken_inside_a_run_are_the_same_when_its_attempt_is_replayed():
    import uuid

    from django_hatchet.runs.ids import done_enqueuing, enqueuing_from

    parent = new_run_id()

    def ids_taken(attempt: int, name: str = "shop.checkout") -> list[str]:
        token = enqueuing_from(parent, attempt, name)
        try:
            return [new_run_id() for _ in range(3)]
        finally:
            done_enqueuing(token)

    first = ids_taken(1)
    assert ids_taken(1) == first  # The engine replays the attempt: the same children.
    assert len(set(first)) == 3
    assert set(ids_taken(2)).isdisjoint(first)  # A retry enqueues new ones.
    assert ids_taken(0) != first  # (A durable job's: derived without the attempt.)
    assert set(ids_taken(1, "shop.flow.step_b")).isdisjoint(first)  # Another step's own.
    assert all(run_id_time(i) == run_id_time(parent) for i in first)
    assert all(uuid.UUID(i).version == 7 for i in first)
    assert new_run_id() not in first  # Outside a run: random again.


def test_options_of_a_fixture_job():
    assert tasks.echo.options.retries == 2
    assert tasks.echo.options.timeout == timedelta(seconds=30)


def test_templates_read_a_job_without_running_it():
    from django.template import Context, Template

    rendered = Template("{{ job.name }}").render(Context({"job": tasks.bad_return}))
    assert rendered == "tests.testapp.tasks.bad_return"


def test_get_run_says_what_a_run_id_is_when_given_something_else():
    from django_hatchet import get_run

    with pytest.raises(ValueError, match=r"get_run\(\): 'nope' is not a run id\. A run id is"):
        get_run("nope")
    with pytest.raises(ValueError, match="is an id the Hatchet engine gave a run, not one"):
        get_run("cf79cff1-0cf9-479a-9d00-bac1480409a3")
    with pytest.raises(TypeError, match="a run id is a str, not int"):
        get_run(7)  # type: ignore[arg-type]
