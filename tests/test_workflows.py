"""Workflows (``django_hatchet.workflow``) inline: the graph, its checks, its arguments, and
runs step after step with the engine's semantics (tests/test_workflows_engine.py runs the
same workflows on a real engine)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management.base import CommandError
from django.test import override_settings

from django_hatchet import JobError, RunStatus, WorkflowRun, send_event, workflow
from django_hatchet.checks import check_crons, check_workflows
from django_hatchet.jobs.workflow import Workflow
from tests.testapp import workflows

GRAPH = """
from django_hatchet import workflow

flow = workflow("tests.flow")
CALLS = []

@flow.step()
def a(n):
    CALLS.append("a")
    return n + 1

@flow.step(parents=[a])
def b(n, a):
    CALLS.append("b")
    return a * 2

@flow.step(parents=["a"])
def c(n, a):
    CALLS.append("c")
    return a * 3

@flow.step(parents=[b, c])
def d(n, b, c):
    CALLS.append("d")
    return b + c
"""


def ids(errors: list[Any]) -> list[str]:
    return [e.id for e in errors]


# Running inline --------------------------------------------------------------------------


def test_a_run_gives_every_steps_result_by_step_name():
    run = workflows.orders.delay(3)
    assert isinstance(run, WorkflowRun)
    assert run.status is RunStatus.COMPLETED
    assert run.get() == {
        "load": {"id": 3, "lines": [3, 4]},
        "price": 70,
        "reserve": {"reserved": 2},
        "bill": f"order 3: 70 for 2 lines (run {run.id})",
    }


def test_each_step_runs_after_its_parents_and_gets_their_results(define):
    module = define(GRAPH)
    assert module.flow.delay(1).get() == {"a": 2, "b": 4, "c": 6, "d": 10}
    assert module.CALLS == ["a", "b", "c", "d"]


def test_calling_a_workflow_runs_it_here():
    assert workflows.orders(5)["price"] == 110


def test_apply_async_and_delay_many():
    run = workflows.orders.apply_async(args=(1,), priority=3)
    assert run.get()["price"] == 30
    runs = workflows.orders.delay_many([(1,), {"order_id": 2}])
    assert [r.get()["price"] for r in runs] == [30, 50]


async def test_adelay():
    run = await workflows.orders.adelay(4)
    assert (await run.aget())["price"] == 90


def test_a_failed_step_fails_the_run_its_descendants_do_not_run_the_others_do(define):
    module = define(
        """
        from django_hatchet import workflow

        flow = workflow("tests.breaking")
        RAN = []

        @flow.step()
        def first(n):
            RAN.append("first")
            return n

        @flow.step(parents=[first])
        def explode(n, first):
            RAN.append("explode")
            raise ValueError(f"boom {first}")

        @flow.step(parents=[explode])
        def after(n, explode):
            RAN.append("after")

        @flow.step()
        def sibling(n):
            RAN.append("sibling")
            return n
        """
    )
    run = module.flow.delay(7)
    assert run.status is RunStatus.FAILED
    with pytest.raises(ValueError, match="boom 7"):
        run.get()
    assert sorted(module.RAN) == ["explode", "first", "sibling"]


def test_a_step_result_makes_the_json_round_trip(define):
    module = define(
        """
        from django_hatchet import workflow

        flow = workflow("tests.rounds")

        @flow.step()
        def make(n):
            return (n, n)

        @flow.step(parents=[make])
        def use(n, make):
            return type(make).__name__
        """
    )
    assert module.flow.delay(1).get() == {"make": [1, 1], "use": "list"}


def test_a_step_returning_what_json_cannot_hold_fails_naming_the_step(define):
    module = define(
        """
        from django_hatchet import workflow

        flow = workflow("tests.sets")

        @flow.step()
        def make():
            return {1, 2}
        """
    )
    run = module.flow.delay()
    assert run.status is RunStatus.FAILED
    assert "tests.sets.make" in str(run.error)


def test_a_step_with_takes_context_gets_the_runs_id():
    run = workflows.orders.delay(1)
    assert run.get()["bill"].endswith(f"(run {run.id})")


def test_a_durable_step_waits_for_an_event_sent_in_this_process():
    from django_hatchet.testing import capture_jobs

    with capture_jobs() as captured:
        run = workflows.approval.delay("approval:inline")
        send_event("approval:inline", {"ok": True})
        captured.run_all()
    assert run.get() == {"wait": {"ok": True}, "decide": "approved"}
    # Inline a wait cannot block: with no such event, it times out at once.
    assert workflows.approval.delay("approval:none").get() == {"wait": None, "decide": "refused"}


def test_capture_jobs_holds_a_workflow_run_until_run_all():
    from django_hatchet.testing import capture_jobs

    with capture_jobs() as captured:
        run = workflows.orders.delay(2)
        assert run.status is RunStatus.QUEUED
        captured.run_all()
    assert run.get()["price"] == 50


# Arguments ---------------------------------------------------------------------------------


def test_arguments_a_step_cannot_take_are_a_type_error_naming_the_step():
    with pytest.raises(TypeError, match=r"tests\.orders\.load\(\): missing a required argument"):
        workflows.orders.delay()


def test_a_keyword_goes_to_the_steps_that_take_it():
    run = workflows.breaks.delay(1, pause=0.0)
    assert run.status is RunStatus.FAILED  # explode raises; sibling took the pause.
    with pytest.raises(TypeError, match="no step of the workflow takes the keyword argument 'x'"):
        workflows.breaks.delay(1, x=2)


def test_a_keyword_named_like_a_parent_is_refused():
    with pytest.raises(TypeError, match="'load' is also the name of a parent step"):
        workflows.orders.delay(1, load=2)


def test_arguments_that_are_not_json_are_refused():
    with pytest.raises(TypeError, match=r"tests\.orders.*not JSON serializable"):
        workflows.orders.delay(object())


def test_a_workflow_is_not_a_canvas_step():
    with pytest.raises(TypeError, match=r"tests\.orders is a workflow: it cannot be a step"):
        workflows.orders.s(1)


# Declaring ---------------------------------------------------------------------------------


def test_a_step_option_on_the_workflow_and_the_other_way_round_say_where_it_goes():
    with pytest.raises(TypeError, match="'durable' is an option of a step"):
        workflow("tests.bad1", durable=True)
    flow = workflow("tests.bad2")
    with pytest.raises(TypeError, match=r"'priority' is an option of the whole workflow"):
        flow.step(priority=3)(lambda: None)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        workflow("tests.bad3", colour="red")


def test_a_step_name_must_be_a_lowercase_identifier():
    flow = workflow("tests.names")
    with pytest.raises(ValueError, match="'Bad-Name' is not a lowercase identifier"):

        @flow.step(name="Bad-Name")
        def step() -> None: ...


def test_a_parent_needs_a_parameter_for_its_result():
    flow = workflow("tests.params")

    @flow.step()
    def first() -> int:
        return 1

    with pytest.raises(TypeError, match="has the parent 'first' but no parameter 'first'"):

        @flow.step(parents=[first])
        def second() -> None: ...


def test_a_parent_of_another_workflow_is_refused():
    one, two = workflow("tests.one"), workflow("tests.two")

    @one.step()
    def first() -> int:
        return 1

    with pytest.raises(ValueError, match=r"is a step of the workflow 'tests\.one'"):

        @two.step(parents=[first])
        def second(first: int) -> None: ...


def test_workflow_options_are_checked_like_a_jobs():
    with pytest.raises(ValueError, match="priority must be 1"):
        workflow("tests.prio", priority=7)
    flow = workflow("tests.defaults", retries=2, timeout=30)

    @flow.step(retries=5)
    def first() -> None: ...

    @flow.step()
    def second() -> None: ...

    assert (first.options.retries, second.options.retries) == (5, 2)
    assert second.options.timeout is not None
    assert second.options.timeout.total_seconds() == 30


def test_a_bad_workflow_name_is_refused():
    with pytest.raises(ValueError, match="not one Hatchet accepts"):
        workflow("on boarding")


# Checks ------------------------------------------------------------------------------------


def test_the_graphs_mistakes_are_checks_and_the_workflow_refuses_to_run(define):
    module = define(
        """
        from django_hatchet import workflow

        empty = workflow("tests.empty")
        unknown = workflow("tests.unknown")
        cycle = workflow("tests.cycle")
        twice = workflow("tests.twice")

        @unknown.step(parents=["nope"])
        def lost(nope):
            pass

        @cycle.step(parents=["b"])
        def a(b):
            pass

        @cycle.step(parents=["a"])
        def b(a):
            pass

        @twice.step()
        def same():
            pass

        @twice.step(name="same")
        def other():
            pass
        """
    )
    errors = {e.obj: e for e in check_workflows()}
    assert (errors["tests.empty"].id, errors["tests.unknown"].id) == (
        "django_hatchet.E030",
        "django_hatchet.E031",
    )
    assert errors["tests.cycle"].id == "django_hatchet.E032"
    assert "a -> b -> a" in errors["tests.cycle"].msg or "b -> a -> b" in errors["tests.cycle"].msg
    assert errors["tests.twice"].id == "django_hatchet.E033"
    assert "'nope', which is not a step" in errors["tests.unknown"].msg
    for flow, code in (
        (module.empty, "E030"),
        (module.unknown, "E031"),
        (module.cycle, "E032"),
        (module.twice, "E033"),
    ):
        with pytest.raises(JobError, match=code):
            flow.delay()


def test_runworker_refuses_to_start_with_a_broken_workflow(define):
    from django_hatchet.worker.worker import check_can_start

    define(
        """
        from django_hatchet import workflow

        flow = workflow("tests.broken")

        @flow.step(parents=["missing"])
        def step(missing):
            pass
        """
    )
    with pytest.raises(CommandError, match=r"'missing', which is not a step.*E031"):
        check_can_start()


def test_the_project_workflows_pass_the_checks():
    assert check_workflows() == []


def test_a_cron_may_name_a_workflow_and_its_arguments_are_checked():
    assert check_crons() == []
    with override_settings(
        HATCHET_CRONS={"orders": {"job": "tests.orders", "schedule": "0 * * * *", "args": [1]}}
    ):
        assert check_crons() == []
    with override_settings(
        HATCHET_CRONS={"orders": {"job": "tests.orders", "schedule": "0 * * * *", "args": [1, 2]}}
    ):
        assert ids(check_crons()) == ["django_hatchet.E007"]


def test_the_engine_definition_has_a_task_per_step_after_its_parents():
    steps = workflows.orders.engine_steps
    assert [(s.name, s.parents) for s in steps] == [
        ("load", ()),
        ("price", ("load",)),
        ("reserve", ("load",)),
        ("bill", ("price", "reserve")),
    ]
    assert isinstance(workflows.orders, Workflow)
    assert workflows.approval.options.durable  # It has a durable step: the durable worker's.
    assert not workflows.orders.options.durable


# docs/workflows.md's example ---------------------------------------------------------------

FULFIL = """
from django_hatchet import workflow

fulfil = workflow("shop.fulfil", timeout=120, retries=2)

@fulfil.step()
def load(order_id: int) -> dict:
    return {"id": order_id, "lines": [10, 20]}

@fulfil.step(parents=[load])
def price(order_id: int, load: dict) -> int:
    return sum(load["lines"])

@fulfil.step(parents=[load], retries=5)
async def reserve(order_id: int, load: dict) -> dict:
    return {"reserved": len(load["lines"])}

@fulfil.step(parents=[price, reserve])
def invoice(order_id: int, price: int, reserve: dict, currency: str = "EUR") -> str:
    return f"order {order_id}: {price} {currency} for {reserve['reserved']} lines"
"""


def test_the_example_of_docs_workflows_md(define):
    fulfil = define(FULFIL, "shop.tasks").fulfil
    expected = {
        "load": {"id": 7, "lines": [10, 20]},
        "price": 30,
        "reserve": {"reserved": 2},
        "invoice": "order 7: 30 USD for 2 lines",
    }
    run = fulfil.delay(7, currency="USD")
    assert isinstance(run, WorkflowRun)
    assert run.get(timeout=60) == expected
    assert fulfil(7, currency="USD") == expected
    assert [s.options.retries for s in fulfil.steps] == [2, 2, 5, 2]
    with override_settings(
        HATCHET_CRONS={"hourly": {"job": "shop.fulfil", "schedule": "0 * * * *", "args": [7]}}
    ):
        assert check_crons() == []


def test_an_event_starts_a_workflow_with_its_payload_as_keyword_arguments(define):
    module = define(
        """
        from django_hatchet import workflow

        flow = workflow("tests.on_signup", on_events=["user.signed_up"])
        SEEN = []

        @flow.step()
        def welcome(email):
            SEEN.append(email)
            return email

        @flow.step(parents=[welcome])
        def follow_up(welcome, plan="free"):
            SEEN.append(plan)
        """
    )
    send_event("user.signed_up", {"email": "ada@example.com", "plan": "pro"})
    assert module.SEEN == ["ada@example.com", "pro"]
