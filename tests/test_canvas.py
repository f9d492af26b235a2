"""The canvas (Celery's signatures, chain, group and chord) in inline mode: no token, so a
canvas runs in this process, step after step, with the engine's JSON round trip."""

from __future__ import annotations

import gc
import logging
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections, transaction
from django.test import override_settings

import django_hatchet
from django_hatchet import (
    CanvasRun,
    JobCancelled,
    JobNotDispatched,
    JobRun,
    Priority,
    RunStatus,
    Signature,
    chain,
    chord,
    group,
)
from django_hatchet.canvas.plan import ORCHESTRATOR
from tests.testapp import tasks
from tests.testapp.models import Note

add, echo, fail, write_note = tasks.add, tasks.echo, tasks.fail, tasks.write_note
ADD = "tests.testapp.tasks.add"


@pytest.fixture(autouse=True)
def _quiet_failures(caplog):
    """Failing inline runs are logged at ERROR; keep the output readable."""
    caplog.set_level(logging.CRITICAL, logger="django_hatchet")


def notes() -> list[str]:
    return sorted(Note.objects.values_list("text", flat=True))


# Signatures ---------------------------------------------------------------------------------


def test_job_s_and_si_make_partial_and_immutable_signatures():
    partial = add.s(2)
    immutable = add.si(2, 3)
    assert isinstance(partial, Signature)
    assert (partial.job, partial.args, partial.kwargs, partial.immutable) == (add, (2,), {}, False)
    assert (immutable.args, immutable.immutable) == ((2, 3), True)
    assert partial.name == ADD
    assert echo.s(1, k="v").kwargs == {"k": "v"}


def test_in_a_chain_a_partial_receives_the_previous_result_first():
    # echo shows the order of its arguments: the previous result comes before the own ones.
    run = chain(add.s(1, 2), echo.s("own", k="w")).delay()
    assert run.get() == {"args": [3, "own"], "kwargs": {"k": "w"}}


def test_in_a_chain_an_immutable_signature_ignores_the_previous_result():
    run = chain(add.s(1, 2), echo.si("own"), add.si(10, 20)).delay()
    assert [step.get() for step in run.children] == [3, {"args": ["own"], "kwargs": {}}, 30]
    assert run.get() == 30


def test_set_returns_the_signature_with_its_options():
    sig = add.s(1)
    assert sig.set(countdown=5, priority=3) is sig
    assert sig.options == {"countdown": 5, "priority": Priority.HIGH}
    assert sig.set(priority=Priority.LOW).options == {"countdown": 5, "priority": Priority.LOW}


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"countdown": -1}, ValueError, "countdown must be 0 or more, not -1"),
        ({"countdown": "10"}, TypeError, "countdown must be a number of seconds"),
        ({"countdown": True}, TypeError, "countdown must be a number of seconds"),
        ({"retries": 3}, TypeError, "unsupported option 'retries'; a signature takes countdown"),
        ({"queue": "fast"}, TypeError, r"queue cannot be set per run; .*@job\(queue=\.\.\.\)"),
        ({"priority": 7}, ValueError, r"priority must be 1 \(LOW\), 2 \(MEDIUM\) or 3 \(HIGH\)"),
        ({"priority": "high"}, TypeError, "priority must be a django_hatchet.Priority"),
    ],
)
def test_set_refuses_bad_options_saying_why(options, error, message):
    sig = add.s(1)
    with pytest.raises(error, match=message) as info:
        sig.set(**options)
    assert str(info.value).startswith(f"{ADD}.set(): ")
    assert sig.options == {}


def test_signature_function_checks_options_too():
    with pytest.raises(TypeError, match="queue cannot be set per run"):
        django_hatchet.signature(add, args=(1,), queue="fast")
    sig = django_hatchet.signature(ADD, args=(1,), kwargs={"b": 2}, countdown=3)
    assert sig == add.s(1, b=2).set(countdown=3)
    assert django_hatchet.signature("tests.echo", immutable=True) == echo.si()
    with pytest.raises(LookupError, match="no job is registered as 'nope'"):
        django_hatchet.signature("nope")
    with pytest.raises(TypeError, match="expected a job or a job's name, not function"):
        django_hatchet.signature(add.func)  # type: ignore[arg-type]


def test_clone_adds_arguments_and_leaves_the_original_alone():
    sig = echo.s(2, k="v").set(priority=1)
    copy = sig.clone((1,), {"j": "w"}, countdown=4)
    assert (copy.args, copy.kwargs) == ((1, 2), {"k": "v", "j": "w"})
    assert copy.options == {"priority": Priority.LOW, "countdown": 4}
    assert (sig.args, sig.kwargs, sig.options) == ((2,), {"k": "v"}, {"priority": Priority.LOW})
    assert sig.clone() == sig
    assert sig.clone() is not sig
    sig.clone().set(priority=3)
    assert sig.options == {"priority": Priority.LOW}
    # An immutable signature takes no more positional arguments.
    assert add.si(1, 2).clone((9,)).args == (1, 2)


def test_repr_shows_the_job_and_arguments_with_a_percent_for_immutable():
    assert repr(add.s(1)) == f"{ADD}(1)"
    assert repr(add.si(1, 2)) == f"%{ADD}(1, 2)"
    assert repr(echo.s("a", k=[1])) == "tests.echo('a', k=[1])"
    assert repr(add.s(1) | add.si(2, 3)) == f"{ADD}(1) | %{ADD}(2, 3)"
    assert repr(group(add.s(1), add.s(2))) == f"group({ADD}(1), {ADD}(2))"
    assert repr(chord([add.s(1)], echo.s())) == f"chord(group({ADD}(1)), tests.echo())"


def test_signature_equality():
    assert add.s(1) == add.s(1)
    assert add.s(1, b=2) == add.s(1, b=2)
    assert add.s(1) != add.s(2)
    assert add.s(1) != add.si(1)
    assert add.s(1) != tasks.async_add.s(1)
    assert add.s(1) != add.s(1).set(priority=3)
    assert add.s(1) != "add.s(1)"
    with pytest.raises(TypeError, match="unhashable"):
        hash(add.s(1))


def test_calling_a_signature_calls_the_function_now():
    # No run, no JSON round trip: the tuple stays a tuple.
    assert add.s(1)(2) == 3
    assert add.s(1, 2)() == 3
    assert echo.s((1, 2), k="v")(0, j="w") == {"args": (0, (1, 2)), "kwargs": {"k": "v", "j": "w"}}
    assert add.si(1, 2)(99) == 3


def test_an_immutable_signature_ignores_extra_kwargs_as_in_celery():
    assert echo.si(1).delay(k=2).get() == {"args": [1], "kwargs": {}}
    assert echo.si(1).clone(kwargs={"k": 2}).kwargs == {}
    assert echo.si(1)(k=2) == {"args": (1,), "kwargs": {}}


def test_set_countdown_none_clears_the_countdown():
    sig = add.s(1).set(countdown=5, priority=3)
    sig.set(countdown=None)
    assert "countdown" not in sig.options or sig.options["countdown"] is None
    assert sig.options["priority"] is Priority.HIGH


def test_signature_delay_enqueues_one_run_with_the_arguments_merged():
    run = echo.s(2, k="v").delay(1, j="w")
    assert type(run) is JobRun
    assert run.job_name == "tests.echo"
    assert run.status is RunStatus.COMPLETED
    assert run.get() == {"args": [1, 2], "kwargs": {"k": "v", "j": "w"}}
    assert add.s(1).delay(2).get() == 3
    assert add.si(1, 2).delay(99).get() == 3


def test_signature_apply_async_merges_args_kwargs_and_options():
    run = echo.s(2, k="v").set(countdown=10).apply_async((1,), {"j": "w"}, priority=3)
    assert type(run) is JobRun
    assert run.get() == {"args": [1, 2], "kwargs": {"k": "v", "j": "w"}}
    assert add.s(b=5).apply_async(kwargs={"a": 1}).get() == 6
    assert add.s(1, 2).apply_async().get() == 3


#: Values of the wrong type for args, typed Any so that the calls below type-check.
WRONG: dict[str, Any] = {"str": "ab", "dict": {"a": 1}, "int": 5}


@pytest.mark.parametrize(
    ("apply", "message"),
    [
        pytest.param(lambda: add.s().apply_async(WRONG["str"]), "not str", id="apply_async str"),
        pytest.param(lambda: echo.s().apply_async(WRONG["dict"]), "not dict", id="dict"),
        pytest.param(lambda: add.s(1).apply_async(WRONG["int"]), "not int", id="apply_async int"),
        pytest.param(lambda: django_hatchet.signature(add, WRONG["str"]), "not str", id="sig"),
        pytest.param(lambda: add.s(1).clone(WRONG["str"]), "not str", id="clone"),
    ],
)
def test_signature_args_must_be_a_list_or_tuple_as_for_a_job(apply, message):
    with pytest.raises(TypeError, match=rf"args must be a list or tuple, {message}"):
        apply()


def test_signature_kwargs_must_be_a_dict_as_for_a_job():
    with pytest.raises(TypeError, match="kwargs must be a dict, not list"):
        add.s(1).apply_async((2,), [1])  # type: ignore[arg-type]


def test_signature_delay_checks_the_merged_arguments():
    with pytest.raises(TypeError, match=rf"^{ADD}\b.*: too many positional arguments"):
        add.s(1).delay(2, 3)
    with pytest.raises(TypeError, match="missing a required argument: 'b'"):
        add.s().delay(1)


# Chains -------------------------------------------------------------------------------------


def test_chain_passes_each_result_to_the_next_step():
    run = chain(add.s(1, 2), add.s(3), add.s(4)).delay()
    assert isinstance(run, CanvasRun)
    assert run.get() == 10
    assert run.status is RunStatus.COMPLETED
    assert [step.get() for step in run.children] == [3, 6, 10]
    assert [step.status for step in run.children] == [RunStatus.COMPLETED] * 3


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: add.s(1, 2) | add.s(3) | add.s(4), id="pipe"),
        pytest.param(lambda: chain(add.s(1, 2), add.s(3), add.s(4)), id="args"),
        pytest.param(lambda: chain([add.s(1, 2), add.s(3), add.s(4)]), id="list"),
        pytest.param(lambda: chain(add.s(n) if n else add.s(1, 2) for n in (0, 3, 4)), id="gen"),
        pytest.param(lambda: chain(add.s(1, 2), chain(add.s(3), add.s(4))), id="nested-chain"),
        pytest.param(lambda: add.s(1, 2) | (add.s(3) | add.s(4)), id="sig-pipe-chain"),
        pytest.param(lambda: (add.s(1, 2) | add.s(3)) | add.s(4), id="chain-pipe-sig"),
        pytest.param(lambda: (add.s(1, 2) | add.s(3)) | chain(add.s(4)), id="chain-pipe-chain"),
    ],
)
def test_the_ways_to_write_a_chain_make_the_same_flat_chain(make):
    canvas = make()
    assert isinstance(canvas, chain)
    assert canvas.tasks == [add.s(1, 2), add.s(3), add.s(4)]
    run = canvas.delay()
    assert run.get() == 10
    assert [step.get() for step in run.children] == [3, 6, 10]


def test_a_one_step_chain():
    assert chain(add.s(1, 2)).delay().get() == 3


def test_chain_handle_id_status_results_and_shape():
    run = (add.s(1, 2) | echo.s()).delay()
    assert isinstance(run, JobRun)
    assert run.job_name == ORCHESTRATOR
    assert isinstance(run.id, str)
    assert len(run.id) == 36
    ids = [run.id, *(step.id for step in run.children)]
    assert len(set(ids)) == 3
    assert [step.job_name for step in run.children] == [ADD, "tests.echo"]
    assert all(type(step) is JobRun for step in run.children)
    assert run.results == run.children
    assert run.shape == f"chain({ADD}, tests.echo)"
    assert run.status is RunStatus.COMPLETED
    assert run.ready()
    assert run.successful()
    assert run.state == "SUCCESS"
    assert run.shape in repr(run)


def test_each_application_of_a_canvas_is_a_new_run():
    canvas = add.s(1, 2) | add.s(3)
    first, second = canvas.delay(), canvas.delay()
    assert first.id != second.id
    assert {s.id for s in first.children}.isdisjoint(s.id for s in second.children)
    assert first.get() == second.get() == 6


def test_the_same_signature_twice_in_a_chain_runs_twice():
    plus_one = add.s(1)
    run = chain(add.s(0, 0), plus_one, plus_one, plus_one).delay()
    assert run.get() == 3
    assert len({step.id for step in run.children}) == 4


def test_a_step_receives_the_previous_result_after_a_json_round_trip():
    # echo returns its args as a tuple: the next step receives a list, as on the engine.
    run = chain(echo.s((1, 2), {"k": (3,)}), echo.s()).delay()
    first = {"args": [[1, 2], {"k": [3]}], "kwargs": {}}
    assert run.children[0].get() == first
    assert run.get() == {"args": [first], "kwargs": {}}


def test_a_step_that_takes_a_context_gets_its_own_run_id():
    run = (add.s(0, 1) | tasks.flaky.s()).delay()
    assert run.get() == {"attempt": 1, "run_id": run.children[1].id}


def test_async_jobs_as_steps():
    assert (tasks.async_add.s(1, 2) | tasks.async_add.s(3) | add.s(4)).delay().get() == 10


# Groups -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: group(add.s(1, 1), add.s(2, 2), add.s(3, 3)), id="args"),
        pytest.param(lambda: group([add.s(1, 1), add.s(2, 2), add.s(3, 3)]), id="list"),
        pytest.param(lambda: group(add.s(n, n) for n in (1, 2, 3)), id="generator"),
    ],
)
def test_group_returns_the_list_of_its_members_results_in_order(make):
    run = make().delay()
    assert run.get() == [2, 4, 6]
    assert [member.get() for member in run.results] == [2, 4, 6]
    assert run.status is RunStatus.COMPLETED
    assert run.shape == f"group({ADD}, {ADD}, {ADD})"


def test_group_results_keep_the_members_order_not_their_values():
    assert group(echo.si(3), echo.si(1), echo.si(2)).delay().get() == [
        {"args": [n], "kwargs": {}} for n in (3, 1, 2)
    ]


@pytest.mark.parametrize("make", [group, chain])
def test_an_empty_canvas_is_refused(make):
    with pytest.raises(ValueError, match=r"needs at least one signature, such as .*\(job.s\(1\)\)"):
        make()
    with pytest.raises(ValueError, match="needs at least one signature"):
        make([])
    with pytest.raises(ValueError, match="needs at least one signature"):
        make(x for x in ())  # type: ignore[var-annotated]


@pytest.mark.parametrize("make", [group, chain])
def test_a_job_instead_of_a_signature_is_refused_suggesting_s(make):
    with pytest.raises(TypeError, match=rf"item 1 is Job, .* such as {ADD}\.s\(\.\.\.\), not the"):
        make(add.s(1, 2), add)
    with pytest.raises(TypeError, match=rf"item 0 is Job, .*{ADD}\.s\(\.\.\.\)"):
        make(add)
    with pytest.raises(TypeError, match=r"item 1 is Job"):
        make([add.s(1, 2), add])


@pytest.mark.parametrize("item", [5, "add", {"job": "add"}, None])
def test_other_non_signatures_are_refused(item):
    with pytest.raises(TypeError, match=rf"group\(\): item 0 is {type(item).__name__}, not a sig"):
        group(item)
    with pytest.raises(TypeError, match=r"chain\(\): item 1 is"):
        chain(add.s(1, 2), item)


def test_piping_into_something_that_is_not_a_signature_is_refused():
    with pytest.raises(TypeError, match="Pass a signature, such as"):
        add.s(1, 2) | add
    with pytest.raises(TypeError):
        group(add.s(1, 2)) | 5
    with pytest.raises(TypeError):
        chain(add.s(1, 2)) | 5


# Chords -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "apply",
    [
        pytest.param(lambda h, b: chord(h, b).delay(), id="chord(header, body)"),
        pytest.param(lambda h, b: chord(h)(b), id="chord(header)(body)"),
        pytest.param(lambda h, b: (group(h) | b).delay(), id="group|body"),
        pytest.param(lambda h, b: (chord(h) | b).delay(), id="chord(header)|body"),
        pytest.param(lambda h, b: chord(group(h), b).apply_async(), id="chord(group, body)"),
        pytest.param(lambda h, b: chord(iter(h), b).delay(), id="generator header"),
    ],
)
def test_chord_gives_the_list_of_header_results_to_its_body(apply):
    run = apply([add.s(1, 2), add.s(3, 4)], echo.s("total"))
    assert isinstance(run, CanvasRun)
    assert run.get() == {"args": [[3, 7], "total"], "kwargs": {}}
    header, body = run.children
    assert isinstance(header, CanvasRun)
    assert header.get() == [3, 7]
    assert [member.get() for member in header.children] == [3, 7]
    assert body.get() == run.get()
    assert run.shape == f"chord(group({ADD}, {ADD}), tests.echo)"


def test_group_pipe_signature_is_a_chord():
    canvas = group(add.s(1, 2)) | echo.s()
    assert isinstance(canvas, chord)
    assert canvas.body == echo.s()


def test_a_chord_body_gets_the_header_results_after_a_json_round_trip():
    run = chord([echo.si((1,)), echo.si({"t": (2,)})], echo.s()).delay()
    header = [{"args": [[1]], "kwargs": {}}, {"args": [{"t": [2]}], "kwargs": {}}]
    assert run.get() == {"args": [header], "kwargs": {}}


@pytest.mark.parametrize(
    "apply",
    [
        pytest.param(lambda c: c.delay(), id="delay"),
        pytest.param(lambda c: c.apply_async(), id="apply_async"),
        pytest.param(lambda c: c(), id="call"),
        pytest.param(lambda c: chain(add.s(1, 1), c).delay(), id="in a chain"),
    ],
)
def test_a_chord_without_a_callback_is_refused_when_applied(apply):
    with pytest.raises(ValueError, match=r"this chord has no callback; write chord\(header, call"):
        apply(chord([echo.s(1), echo.s(2)]))


def test_a_chord_whose_body_is_not_a_signature_is_refused():
    with pytest.raises(TypeError, match=rf"chord\(\): item 1 is Job, .*{ADD}\.s\(\.\.\.\)"):
        chord([add.s(1, 2)], add)  # type: ignore[arg-type]


# Nesting ------------------------------------------------------------------------------------


def test_a_group_inside_a_chain_gives_each_member_the_previous_result():
    run = chain(add.s(1, 1), group(add.s(10), add.s(20), echo.si("own")), echo.s()).delay()
    members = [12, 22, {"args": ["own"], "kwargs": {}}]
    assert run.get() == {"args": [members], "kwargs": {}}
    first, inner, last = run.children
    assert first.get() == 2
    assert isinstance(inner, CanvasRun)
    assert inner.shape == f"group({ADD}, {ADD}, tests.echo)"
    assert inner.get() == members
    assert [m.get() for m in inner.children] == members
    assert last.get() == run.get()
    assert run.shape == f"chain({ADD}, group({ADD}, {ADD}, tests.echo), tests.echo)"


def test_a_chain_inside_a_group():
    run = group(add.s(1, 1), chain(add.s(2, 2), add.s(10)), add.s(3, 3) | add.s(100)).delay()
    assert run.get() == [2, 14, 106]
    inner = run.children[1]
    assert isinstance(inner, CanvasRun)
    assert [step.get() for step in inner.children] == [4, 14]


def test_a_chord_inside_a_chain():
    run = chain(add.s(1, 1), chord([add.s(10), add.s(20)], echo.s()), echo.s("end")).delay()
    inner = {"args": [[12, 22]], "kwargs": {}}
    assert run.get() == {"args": [inner, "end"], "kwargs": {}}
    chord_run = run.children[1]
    assert isinstance(chord_run, CanvasRun)
    assert chord_run.get() == inner
    assert chord_run.children[0].get() == [12, 22]


def test_a_group_as_a_chord_body_gets_the_header_results_in_each_member():
    run = chord([add.s(1, 1), add.s(2, 2)], group(echo.s("a"), echo.s("b"))).delay()
    assert run.get() == [{"args": [[2, 4], x], "kwargs": {}} for x in "ab"]


def test_a_signature_piped_into_a_group_is_a_chain():
    canvas = add.s(1, 1) | group(add.s(1), add.s(2))
    assert isinstance(canvas, chain)
    assert canvas.delay().get() == [3, 4]


def test_deep_nesting():
    canvas = chain(
        add.s(1, 1),
        group(chain(add.s(1), group(add.s(1), add.s(2))), chord([add.s(3)], echo.s())),
        echo.s(),
    )
    assert canvas.delay().get() == {
        "args": [[[4, 5], {"args": [[5]], "kwargs": {}}]],
        "kwargs": {},
    }


# Applying a canvas --------------------------------------------------------------------------


def test_canvas_delay_prepends_its_arguments_to_the_first_step():
    assert (add.s(1) | add.s(3)).delay(10).get() == 14
    assert chain(echo.s("own"), add.si(1, 1)).delay(1, 2).children[0].get() == {
        "args": [1, 2, "own"],
        "kwargs": {},
    }


def test_canvas_apply_async_args_go_to_the_first_step():
    assert (add.s(1) | add.s(3)).apply_async(args=(10,)).get() == 14
    assert (add.s(1) | add.s(3)).apply_async([10]).get() == 14
    assert (add.s(1) | add.s(3))(10).get() == 14


def test_canvas_arguments_go_to_every_member_of_a_first_group():
    assert group(add.s(1), add.s(2)).delay(10).get() == [11, 12]
    assert chord([add.s(1), add.s(2)], echo.s()).delay(10).get() == {
        "args": [[11, 12]],
        "kwargs": {},
    }
    assert group(add.s(1), add.s(2)).apply_async(args=[10]).get() == [11, 12]


def test_an_immutable_first_step_ignores_the_canvas_arguments():
    assert chain(add.si(1, 2), add.s(3)).delay(100).get() == 6


def test_canvas_arguments_make_a_json_round_trip():
    run = chain(echo.s(), echo.s()).delay((1, 2))
    assert run.children[0].get() == {"args": [[1, 2]], "kwargs": {}}


def test_canvas_apply_async_refuses_keyword_arguments():
    with pytest.raises(TypeError, match="a canvas takes no keyword arguments; give them to its"):
        (add.s(1) | add.s(3)).apply_async(kwargs={"a": 1})
    with pytest.raises(TypeError, match=r"group.apply_async\(\): a canvas takes no keyword"):
        group(add.s(1)).apply_async((1,), {"b": 2})


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"args": 5}, TypeError, "args must be a list or tuple, not int"),
        ({"args": "ab"}, TypeError, "args must be a list or tuple, not str"),
        ({"countdown": -1}, ValueError, "countdown must be 0 or more"),
        ({"priority": 9}, ValueError, r"priority must be 1 \(LOW\), 2 \(MEDIUM\) or 3 \(HIGH\)"),
        ({"enqueue_on_commit": "yes"}, TypeError, "enqueue_on_commit must be True, False or None"),
    ],
)
def test_canvas_apply_async_refuses_bad_input(options, error, message):
    options.setdefault("args", [1])
    with pytest.raises(error, match=message):
        (add.s(1) | add.s(3)).apply_async(**options)


def test_canvas_apply_async_options_are_accepted_and_inline_runs_now():
    canvas = add.s(1) | add.s(3)
    assert canvas.apply_async([1], countdown=30, priority=Priority.HIGH).get() == 5
    assert chain(add.s(1, 1).set(countdown=60, priority=1), add.s(1)).delay().get() == 3


def test_a_group_member_with_a_countdown_still_gives_its_result_in_order():
    run = group(add.s(1, 1).set(countdown=5), add.s(2, 2)).delay()
    assert run.get() == [2, 4]
    assert [member.get() for member in run.children] == [2, 4]


# Argument checks ----------------------------------------------------------------------------


def test_s_refuses_arguments_that_could_never_fit_naming_the_job():
    with pytest.raises(TypeError, match=rf"^{ADD}\.s\(\): too many positional arguments"):
        add.s(1, 2, 3)
    with pytest.raises(TypeError, match=rf"^{ADD}\.si\(\): got an unexpected keyword argument 'c'"):
        add.si(1, c=3)
    with pytest.raises(TypeError, match=rf"^{ADD}\.s\(\): got an unexpected keyword argument 'c'"):
        add.s(c=3)
    with pytest.raises(TypeError, match=rf"^{ADD}\.si\(\): too many positional arguments"):
        add.si(1, 2, 3)
    with pytest.raises(TypeError, match=r"on_special_queue\.si\(\): too many positional"):
        tasks.on_special_queue.si(1)


def test_s_accepts_arguments_that_a_previous_result_will_complete():
    assert add.s(2).args == (2,)
    assert add.s(b=2).kwargs == {"b": 2}
    assert add.si(1).args == (1,)  # delay() could still add b=.


@pytest.mark.parametrize(
    ("make", "name"),
    [
        pytest.param(lambda: echo.s(when=object()), "when", id="kwarg"),
        pytest.param(lambda: add.si(1, object()), "b", id="positional"),
        pytest.param(lambda: echo.s(k={"nested": {1, 2}}), "k", id="nested"),
    ],
)
def test_s_refuses_an_argument_that_is_not_json_naming_it(make, name):
    with pytest.raises(TypeError, match=rf"argument '{name}'.* not JSON serializable") as info:
        make()
    assert ".s()" in str(info.value) or ".si()" in str(info.value)


def test_applying_a_canvas_checks_each_step_knowing_its_position():
    canvas = chain(add.s(1, 2), tasks.on_special_queue.s())
    with pytest.raises(TypeError) as info:
        canvas.delay()
    message = str(info.value)
    assert message.startswith("chain step 2, tests.testapp.tasks.on_special_queue(): too many")
    assert "receives the previous step's result" in message
    assert "use tests.testapp.tasks.on_special_queue.si(...) to ignore it" in message
    # The .si() it suggests works:
    assert chain(add.s(1, 2), tasks.on_special_queue.si()).delay().status is RunStatus.COMPLETED


@pytest.mark.parametrize(
    ("canvas", "where"),
    [
        pytest.param(lambda: chain(add.s(1)), r"chain step 1, .*add\(\): missing .* 'b'", id="1st"),
        pytest.param(
            lambda: group(add.s(1, 1), add.s(1)), r"group member 2, .*add\(\): missing", id="group"
        ),
        pytest.param(
            lambda: chain(add.s(1, 1), group(add.s(1), add.s(1, 2))),
            r"chain step 2 member 2, .*add\(\): too many positional arguments .*use "
            rf"{ADD}\.si",
            id="nested",
        ),
        pytest.param(
            lambda: chord([add.s(1, 1)], add.s(1, 2)),
            r"chord callback, .*add\(\): too many positional arguments",
            id="chord body",
        ),
        pytest.param(
            lambda: chord([add.s(1, 1), add.s(1)], echo.s()), r"chord header member 2", id="header"
        ),
    ],
)
def test_applying_a_canvas_names_the_step_whose_arguments_do_not_fit(canvas, where):
    with pytest.raises(TypeError, match=where):
        canvas().delay()


def test_canvas_arguments_are_counted_in_the_checks():
    with pytest.raises(TypeError, match=r"chain step 1, .*too many positional arguments"):
        chain(add.s(1, 2), add.s(3)).delay(5)
    with pytest.raises(TypeError, match=r"group member 1, .*missing a required argument: 'b'"):
        group(add.s()).delay(1)


@pytest.mark.django_db(transaction=True)
def test_a_refused_canvas_runs_no_step():
    with pytest.raises(TypeError):
        chain(write_note.si("first"), add.s(1, 2)).delay()
    assert notes() == []


@pytest.mark.parametrize(
    ("apply", "error", "message"),
    [
        pytest.param(
            lambda: (add.s(1) | add.s(3)).delay(object()),
            TypeError,
            r"^chain.apply_async\(\): .*object.* not JSON serializable",
            id="not JSON",
        ),
        pytest.param(
            lambda: chain(echo.s()).delay("a\x00"),
            ValueError,
            r"^chain.apply_async\(\): .*NUL character",
            id="NUL",
        ),
        pytest.param(
            lambda: group(echo.si("x" * 1_000_000) for _ in range(5)).delay(),
            ValueError,
            r"^group.apply_async\(\): .*bytes as JSON, more than the",
            id="too large",
        ),
    ],
)
def test_a_canvas_refuses_a_payload_the_engine_would_refuse_saying_why(apply, error, message):
    with pytest.raises(error, match=message):
        apply()


# Failures -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_failing_step_stops_the_chain_and_get_raises_its_exception():
    run = chain(write_note.si("first"), fail.si("step two broke"), write_note.si("third")).delay()
    assert notes() == ["first"]  # The third step never ran.
    assert run.status is RunStatus.FAILED
    assert run.failed()
    assert run.state == "FAILURE"
    with pytest.raises(tasks.JobBroke, match=r"^step two broke$"):
        run.get()
    first, broken, never = run.children
    assert first.status is RunStatus.COMPLETED
    assert broken.status is RunStatus.FAILED
    assert isinstance(broken.error, tasks.JobBroke)
    assert run.error is broken.error
    with pytest.raises(tasks.JobBroke, match="step two broke"):
        broken.get()
    # A step that a failure left unstarted ends CANCELLED, and says why.
    assert never.known_status is RunStatus.CANCELLED
    assert never.result is None
    with pytest.raises(JobCancelled, match=rf"did not run: .*fail run {broken.id} failed"):
        never.get()


def test_a_failing_step_receives_the_previous_result_and_fails_with_it():
    run = (add.s(1, 2) | fail.s()).delay()
    with pytest.raises(tasks.JobBroke, match=r"^3$"):
        run.get()


def test_a_failure_is_raised_at_get_not_at_delay_by_default():
    run = (add.s(1, 2) | fail.si("later")).delay()  # Does not raise.
    assert run.status is RunStatus.FAILED
    with pytest.raises(tasks.JobBroke, match="later"):
        run.get()


@pytest.mark.django_db(transaction=True)
@override_settings(HATCHET_INLINE_PROPAGATE_EXCEPTIONS=True)
def test_with_propagate_exceptions_delay_raises_the_steps_exception():
    with pytest.raises(tasks.JobBroke, match=r"^now$"):
        chain(write_note.si("first"), fail.si("now"), write_note.si("third")).delay()
    assert notes() == ["first"]
    with pytest.raises(tasks.JobBroke, match=r"^member$"):
        group(add.s(1, 1), fail.si("member")).delay()
    with pytest.raises(tasks.JobBroke, match=r"^header$"):
        chord([fail.si("header")], write_note.si("body")).delay()
    assert notes() == ["first"]
    # A canvas that does not fail is unaffected.
    assert (add.s(1, 2) | add.s(3)).delay().get() == 6


def test_a_step_returning_non_json_fails_the_chain():
    run = (tasks.bad_return.si() | echo.s()).delay()
    with pytest.raises(TypeError, match="bad_return returned a value of type object"):
        run.get()
    assert run.children[0].status is RunStatus.FAILED
    assert run.children[1].known_status is not RunStatus.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_in_a_group_every_member_runs_and_the_first_failure_fails_it():
    run = group(write_note.si("a"), fail.si("first"), write_note.si("b"), fail.si("second")).delay()
    assert notes() == ["a", "b"]
    assert run.status is RunStatus.FAILED
    with pytest.raises(tasks.JobBroke, match=r"^first$"):
        run.get()
    assert [m.status for m in run.children] == [
        RunStatus.COMPLETED,
        RunStatus.FAILED,
        RunStatus.COMPLETED,
        RunStatus.FAILED,
    ]
    with pytest.raises(tasks.JobBroke, match=r"^second$"):
        run.children[3].get()
    assert isinstance(run.children[0].get(), int)


@pytest.mark.django_db(transaction=True)
def test_a_chords_callback_does_not_run_when_a_member_fails():
    run = chord([write_note.si("member"), fail.si("header broke")], write_note.si("body")).delay()
    assert notes() == ["member"]
    with pytest.raises(tasks.JobBroke, match=r"^header broke$"):
        run.get()
    header, body = run.children
    assert isinstance(header, CanvasRun)
    assert header.status is RunStatus.FAILED
    assert [m.status for m in header.children] == [RunStatus.COMPLETED, RunStatus.FAILED]
    assert body.known_status is RunStatus.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_a_failure_deep_inside_a_nested_canvas_reaches_the_top_with_its_exception():
    run = chain(
        add.s(1, 1), group(add.s(1), chain(add.s(1), fail.s())), write_note.si("after")
    ).delay()
    with pytest.raises(tasks.JobBroke, match=r"^3$"):
        run.get()
    assert notes() == []
    inner_group = run.children[1]
    assert isinstance(inner_group, CanvasRun)
    assert inner_group.status is RunStatus.FAILED
    assert inner_group.children[0].get() == 3
    inner_chain = inner_group.children[1]
    assert isinstance(inner_chain, CanvasRun)
    assert inner_chain.status is RunStatus.FAILED
    assert inner_chain.children[1].status is RunStatus.FAILED
    assert run.error is inner_chain.children[1].error


BROKEN_WITH_A_CAUSE = """
from django_hatchet import job

@job
def lookup(key):
    try:
        {}[key]
    except KeyError as exc:
        raise RuntimeError("lookup failed") from exc
"""


def test_a_failing_job_keeps_the_cause_of_its_exception(define):
    # The reference: a job's run alone keeps ``raise ... from exc``.
    module = define(BROKEN_WITH_A_CAUSE)
    with pytest.raises(RuntimeError, match="lookup failed") as info:
        module.lookup.delay("k").get()
    assert isinstance(info.value.__cause__, KeyError)


def test_a_failing_step_keeps_the_cause_of_its_exception(define):
    module = define(BROKEN_WITH_A_CAUSE)
    run = (echo.si("k") | module.lookup.si("k")).delay()
    step = run.children[1]
    assert isinstance(step.error, RuntimeError)
    assert isinstance(step.error.__cause__, KeyError)
    with pytest.raises(RuntimeError, match="lookup failed") as info:
        run.get()
    assert isinstance(info.value.__cause__, KeyError)


def test_a_failing_canvas_is_logged(caplog):
    caplog.set_level(logging.ERROR, logger="django_hatchet")
    run = (add.s(1, 2) | fail.si("logged")).delay()
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [f"Job tests.testapp.tasks.fail (inline run {run.children[1].id}) failed"]


# Async twins --------------------------------------------------------------------------------


async def test_adelay_and_aget():
    run = await (add.s(2, 2) | add.s(2) | tasks.async_add.s(1)).adelay()
    assert isinstance(run, CanvasRun)
    assert await run.aget() == 7
    assert [await step.aget() for step in run.children] == [4, 6, 7]
    assert await run.arefresh() is RunStatus.COMPLETED


async def test_adelay_prepends_its_arguments_and_aapply_async():
    assert await (await group(add.s(1), add.s(2)).adelay(10)).aget() == [11, 12]
    run = await chord([add.s(1)], echo.s()).aapply_async(args=[1])
    assert await run.aget() == {"args": [[2]], "kwargs": {}}


async def test_async_failure_is_raised_by_aget():
    run = await (add.s(1, 2) | fail.s() | add.s(1)).adelay()
    assert run.status is RunStatus.FAILED
    with pytest.raises(tasks.JobBroke, match=r"^3$"):
        await run.aget()


async def test_async_signature_delay():
    run = await add.s(1).adelay(2)
    assert await run.aget() == 3
    assert await (await echo.s(1).aapply_async((0,), {"k": 2})).aget() == {
        "args": [0, 1],
        "kwargs": {"k": 2},
    }


async def test_async_apply_checks_arguments_too():
    with pytest.raises(TypeError, match="chain step 2"):
        await (add.s(1, 2) | tasks.on_special_queue.s()).adelay()
    with pytest.raises(TypeError, match="a canvas takes no keyword arguments"):
        await (add.s(1) | add.s(2)).aapply_async((1,), {"x": 1})


@pytest.mark.django_db(transaction=True)
async def test_adelay_runs_steps_that_use_the_database():
    run = await (write_note.si("async") | add.s(0)).adelay()
    pk = await run.aget()
    assert await Note.objects.filter(pk=pk, text="async").aexists()
    # The steps ran in asgiref's thread, which keeps its own connection: close it.
    await sync_to_async(connections.close_all)()


# On commit ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_canvas_applied_in_atomic_is_pending_until_the_commit():
    with transaction.atomic():
        run = (write_note.si("on commit") | echo.s()).delay()
        assert run.status is RunStatus.PENDING
        assert not Note.objects.exists()
        with pytest.raises(JobNotDispatched, match="waits for the transaction"):
            run.get()
    assert run.status is RunStatus.COMPLETED
    pk = Note.objects.get(text="on commit").pk
    assert run.get() == {"args": [pk], "kwargs": {}}
    assert [step.status for step in run.children] == [RunStatus.COMPLETED] * 2


@pytest.mark.django_db(transaction=True)
def test_a_canvas_in_nested_atomic_waits_for_the_outermost_commit():
    with transaction.atomic():
        with transaction.atomic():
            run = group(write_note.si("a"), write_note.si("b")).delay()
        assert run.status is RunStatus.PENDING
        assert not Note.objects.exists()
    assert run.status is RunStatus.COMPLETED
    assert notes() == ["a", "b"]


@pytest.mark.django_db(transaction=True)
def test_a_canvas_whose_transaction_rolls_back_never_runs():
    runs = []
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        runs.append(chord([write_note.si("a")], write_note.si("b")).delay())
        raise RuntimeError
    [run] = runs
    assert run.status is RunStatus.CANCELLED
    with pytest.raises(JobCancelled, match="transaction that rolled back"):
        run.get()
    assert not Note.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_canvas_in_a_rolled_back_savepoint_never_runs():
    with transaction.atomic():
        try:
            with transaction.atomic():
                dropped = (write_note.si("dropped") | add.s(0)).delay()
                raise RuntimeError
        except RuntimeError:
            pass
        kept = (write_note.si("kept") | add.s(0)).delay()
    assert dropped.status is RunStatus.CANCELLED
    assert kept.status is RunStatus.COMPLETED
    assert notes() == ["kept"]


@pytest.mark.django_db(transaction=True)
def test_a_canvas_cancelled_before_its_commit_never_runs():
    with transaction.atomic():
        run = (write_note.si("cancelled") | add.s(0)).delay()
        run.cancel()
    assert run.status is RunStatus.CANCELLED
    with pytest.raises(JobCancelled):
        run.get()
    assert not Note.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_false_runs_a_canvas_at_once():
    with transaction.atomic():
        run = (write_note.si("now") | add.s(0)).apply_async(enqueue_on_commit=False)
        assert run.status is RunStatus.COMPLETED
        assert notes() == ["now"]


@pytest.mark.django_db(transaction=True)
def test_a_failing_canvas_on_commit_keeps_its_failure_on_the_handle():
    with transaction.atomic():
        run = (add.s(1, 2) | fail.s()).delay()
    assert run.status is RunStatus.FAILED
    with pytest.raises(tasks.JobBroke, match=r"^3$"):
        run.get()


@pytest.mark.django_db(transaction=True)
def test_a_canvas_whose_handle_is_dropped_still_runs_on_commit():
    with transaction.atomic():
        (write_note.si("dropped handle") | write_note.si("second")).delay()
        gc.collect()
    assert notes() == ["dropped handle", "second"]


@pytest.mark.django_db
def test_in_a_test_case_capture_on_commit_callbacks_runs_a_canvas(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = (write_note.si("captured") | echo.s()).delay()
        assert run.status is RunStatus.PENDING
    assert len(callbacks) == 1
    assert run.get() == {"args": [Note.objects.get(text="captured").pk], "kwargs": {}}


@pytest.mark.django_db
def test_in_a_test_case_a_canvas_waits_for_a_commit_that_never_comes():
    run = (add.s(1, 2) | add.s(3)).delay()
    assert run.status is RunStatus.PENDING
    with pytest.raises(JobNotDispatched, match=r"captureOnCommitCallbacks\(execute=True\)"):
        run.get()


# Public names -------------------------------------------------------------------------------


def test_the_canvas_names_are_exported():
    from django_hatchet.canvas import handle, shapes, signature

    assert django_hatchet.chain is shapes.chain
    assert django_hatchet.group is shapes.group
    assert django_hatchet.chord is shapes.chord
    assert django_hatchet.Signature is signature.Signature
    assert django_hatchet.CanvasRun is handle.CanvasRun
    assert {"chain", "group", "chord", "Signature", "CanvasRun", "signature"} <= set(
        django_hatchet.__all__
    )


# The testing helpers ------------------------------------------------------------------------


def test_a_canvas_with_a_countdown_waits_for_the_virtual_clock():
    from django_hatchet.testing import virtual_clock

    with virtual_clock() as clock:
        run = (add.s(1, 2) | add.s(3)).apply_async(countdown=60)
        assert run.status is RunStatus.SCHEDULED
        assert clock.advance(59) == []
        assert [r.id for r in clock.advance(1)] == [run.id]
        assert run.get() == 6
        assert [step.get() for step in run.children] == [3, 6]


def test_a_captured_canvas_runs_its_steps_when_run_all_runs_it():
    from django_hatchet.testing import capture_jobs

    with capture_jobs() as captured:
        run = (add.s(1, 2) | add.s(3)).delay()
        assert run.status is RunStatus.QUEUED
        captured.run_all()
        assert [step.status for step in run.children] == [RunStatus.COMPLETED] * 2
        assert run.get() == 6


# docs/workflows.md's examples ------------------------------------------------------------

SHOP = """
from django_hatchet import job

@job
def price(order_id: int) -> int:
    return order_id * 1000

@job
def add_tax(cents: int, rate: float = 0.2) -> int:
    return round(cents * (1 + rate))

@job
def total(amounts: list[int]) -> int:
    return sum(amounts)

@job
def notify(subject: str) -> str:
    return subject
"""


def test_the_examples_of_docs_workflows_md(define):
    shop = define(SHOP, "tests.shop")
    price, add_tax, total, notify = shop.price, shop.add_tax, shop.total, shop.notify
    order_ids = [1, 2, 3]
    run = (price.s(1) | add_tax.s(rate=0.1)).delay()
    assert run.get() == 1100
    assert [step.status for step in run.children] == [RunStatus.COMPLETED] * 2
    assert run.shape == "chain(tests.shop.price, tests.shop.add_tax)"
    assert group(price.s(pk) for pk in order_ids).delay().get() == [1000, 2000, 3000]
    assert chord((price.s(pk) for pk in order_ids), total.s()).delay().get() == 6000
    run = (group(price.s(pk) for pk in order_ids) | total.s() | notify.si("totals ready")).delay()
    assert run.get() == "totals ready"
    with pytest.raises(TypeError, match=r"notify\(\): too many positional arguments.*\.si\("):
        (price.s(1) | notify.s("a")).delay()
    from django_hatchet.testing import capture_jobs

    with capture_jobs() as captured:
        (price.s(1) | add_tax.s(rate=0.1)).delay()
    [canvas] = captured
    captured.run_all()
    assert canvas.run.get() == 1100
