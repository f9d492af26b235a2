"""Engine options on @job: validated when decorating, turned into the SDK's task options."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

from django_hatchet import Concurrency, JobContext
from tests.testapp import tasks


def test_concurrency_int_is_a_global_limit(define):
    module = define("from django_hatchet import job\n@job(concurrency=2)\ndef f():\n    pass\n")
    assert module.f.options.concurrency == Concurrency(max_runs=2)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("'2'", TypeError, "concurrency must be a django_hatchet.Concurrency or an int"),
        ("0", ValueError, "max_runs must be an int of 1 or more"),
        ("Concurrency(1, strategy='LIFO')", ValueError, "strategy 'LIFO' is not one of"),
        ("Concurrency(1, key='')", TypeError, "key must be a CEL expression"),
    ],
)
def test_bad_concurrency(define, value, error, message):
    with pytest.raises(error, match=message):
        define(
            "from django_hatchet import job, Concurrency\n"
            f"@job(concurrency={value})\ndef f():\n    pass\n"
        )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("rate_limits=['smtp']", "rate_limits must be a dict of rate limit key to units"),
        ("rate_limits={'smtp': 0}", "must use 1 or more units"),
        ("rate_limits={'a b': 1}", "rate limit key 'a b' must be letters"),
        ("queue=''", "queue must be a non-empty string without spaces"),
        ("on_events=['a b']", "on_events item must be a non-empty string"),
        ("takes_context='yes'", "takes_context must be True or False"),
    ],
)
def test_bad_engine_options(define, options, message):
    with pytest.raises((TypeError, ValueError), match=message):
        define(f"from django_hatchet import job\n@job({options})\ndef f(context=None):\n    pass\n")


def test_takes_context_needs_a_first_parameter(define):
    with pytest.raises(TypeError, match="the function's first parameter receives the JobContext"):
        define("from django_hatchet import job\n@job(takes_context=True)\ndef f(*, a):\n    pass\n")


def test_takes_context_jobs_are_called_without_the_context():
    assert list(tasks.flaky.signature.parameters) == ["succeed_on"]
    result = tasks.flaky(succeed_on=1)  # A direct call gets a context of its own.
    assert result["attempt"] == 1
    assert tasks.flaky.delay(succeed_on=1).get()["attempt"] == 1  # inline: one attempt


def test_task_options_for_the_sdk():
    from django_hatchet.engine.definitions import task_options as for_options

    def task_options(job):
        return for_options(job.name, job.options)

    options = task_options(tasks.exclusive)
    assert options["name"] == "tests.testapp.tasks.exclusive"
    assert options["concurrency"].expression == "'exclusive'"
    assert options["concurrency"].max_runs == 1
    assert options["execution_timeout"] == timedelta(minutes=30)  # HATCHET_DEFAULT_TIMEOUT
    assert options["schedule_timeout"] == timedelta(hours=24)
    assert task_options(tasks.echo)["retries"] == 2
    assert task_options(tasks.echo)["execution_timeout"] == timedelta(seconds=30)
    [limit] = task_options(tasks.rate_limited)["rate_limits"]
    assert (limit.static_key, limit.units) == ("tests-per-second", 1)
    [label] = task_options(tasks.on_special_queue)["desired_worker_labels"]
    assert (label.key, label.value, label.required) == ("queue", "special", True)
    assert task_options(tasks.note_from_event)["on_events"] == ["tests:note"]


def test_job_context_in_inline_mode(define):
    module = define(
        """
        from django_hatchet import job

        @job(takes_context=True)
        def whoami(context):
            context.log("hello")
            return [context.run_id, context.attempt, context.job.name]
        """
    )
    run = module.whoami.delay()
    assert run.get() == [run.id, 1, "tests.defined.whoami"]
    assert isinstance(JobContext(module.whoami, "x"), JobContext)


def test_idempotency_option(define):
    from django_hatchet import Idempotency

    module = define(
        "from django_hatchet import job, Idempotency\n"
        "@job(idempotency=Idempotency(key='input.args[0]', ttl=60))\ndef f(x):\n    pass\n"
    )
    assert module.f.options.idempotency == Idempotency(
        key="input.args[0]", ttl=timedelta(seconds=60)
    )
    with pytest.raises(TypeError, match=r"idempotency must be a django_hatchet\.Idempotency"):
        define("from django_hatchet import job\n@job(idempotency='x')\ndef g():\n    pass\n")
    with pytest.raises(ValueError, match="idempotency ttl must be positive"):
        define(
            "from django_hatchet import job, Idempotency\n"
            "@job(idempotency=Idempotency(key='x', ttl=0))\ndef h():\n    pass\n"
        )


def test_each_option_is_declared_once_and_read_everywhere_from_that_declaration():
    from django_hatchet import options
    from django_hatchet.celery.tasks import OPTIONS, Refused
    from django_hatchet.options import CHECKS, JobOptions

    # JobArguments exists for the type checker only: its keys, from its source.
    source = ast.parse(Path(options.__file__).read_text())
    (declared,) = (
        node
        for node in ast.walk(source)
        if isinstance(node, ast.ClassDef) and node.name == "JobArguments"
    )
    arguments_keys = [n.target.id for n in declared.body if isinstance(n, ast.AnnAssign)]

    # The record, what a caller may pass, and the checks name the same options, in order.
    assert list(CHECKS) == list(JobOptions._fields)
    # takes_context is typed by @job's overloads: it changes the type of the job.
    arguments = [f for f in JobOptions._fields if f != "takes_context"]
    assert arguments_keys == ["name", *arguments]
    # shared_task's mapping sets only options that @job declares.
    targets = {t for to in OPTIONS.values() if not isinstance(to, Refused) for t in to}
    assert targets <= {*arguments_keys, "takes_context"}


def test_an_unknown_option_is_a_type_error_naming_it(define):
    with pytest.raises(TypeError, match="unexpected keyword argument 'retry'"):
        define("from django_hatchet import job\n@job(retry=3)\ndef f():\n    pass\n")
