"""The graph of a canvas's or a workflow's steps on its run page, and the runs list's
parent links and top-level filter (tests/test_admin_engine.py draws them from a real
engine)."""

from __future__ import annotations

import re

import pytest

from django_hatchet import CanvasRun, chain, chord, group
from django_hatchet.admin.graph import canvas_steps, columns, svg_graph
from django_hatchet.runs.rows import StepNode
from tests.admin_fixtures import row
from tests.testapp import tasks, workflows

pytestmark = [
    pytest.mark.usefixtures("dispatch_at_once"),
    pytest.mark.django_db,
    pytest.mark.usefixtures("clean_inline_history"),
]

RUNS = "/admin/django_hatchet/run/"


def nodes_of(page: str) -> list[tuple[str, str]]:
    """(step, status) of each box of the page's graph."""
    return re.findall(r'class="hatchet-graph-node" data-step="([^"]+)" data-status="([^"]+)"', page)


def test_a_plans_steps_wait_for_what_comes_before_them():
    canvas = (group(tasks.add.s(1, 1), tasks.add.s(2, 2)) | tasks.echo.s() | tasks.echo.s()).delay()
    steps = canvas_steps(canvas.node, {})
    assert [(s.label, len(s.parents)) for s in steps] == [
        ("tests.testapp.tasks.add", 0),
        ("tests.testapp.tasks.add", 0),
        ("tests.echo", 2),
        ("tests.echo", 1),
    ]
    assert steps[2].parents == (steps[0].key, steps[1].key)
    assert steps[3].parents == (steps[2].key,)
    assert [len(c) for c in columns(steps)] == [2, 1, 1]
    assert all(s.status == "" for s in steps)  # No runs given: not started.
    assert all(s.run_id == s.key for s in steps)  # Each links to its run.


def test_the_svg_has_a_box_per_step_and_a_line_per_parent():
    steps = [
        StepNode("a", "a", "COMPLETED", duration_ms=1200),
        StepNode("b", "b", "FAILED", ("a",)),
        StepNode("c", "c", "", ("a",), run_id="01a24d3e-0eef-7a73-baae-013d775d18ca"),
        StepNode("d", "d", "", ("b", "c")),
    ]
    svg = str(svg_graph(steps))
    assert svg.count('class="hatchet-graph-node"') == 4
    assert svg.count('class="hatchet-graph-edge"') == 4
    assert "completed · 1.2 s" in svg or "completed · 1200 ms" in svg
    assert 'data-step="c" data-status="not started"' in svg
    assert (
        '<a href="/admin/django_hatchet/run/01a24d3e-0eef-7a73-baae-013d775d18ca/change/">' in svg
    )


def test_steps_listed_before_their_parents_still_stand_after_them():
    steps = [
        StepNode("ship", "ship", "COMPLETED", ("stock", "charge")),
        StepNode("load", "load", "COMPLETED"),
        StepNode("stock", "stock", "COMPLETED", ("load",)),
        StepNode("charge", "charge", "COMPLETED", ("load",)),
    ]
    assert [[s.key for s in column] for column in columns(steps)] == [
        ["load"],
        ["stock", "charge"],
        ["ship"],
    ]


def test_a_wide_column_counts_the_steps_it_does_not_draw():
    steps = [StepNode(str(i), f"step {i}", "COMPLETED") for i in range(100)]
    svg = str(svg_graph(steps))
    assert svg.count('class="hatchet-graph-node"') == 23
    assert "… 77 more steps" in svg


def test_an_inline_canvas_page_draws_its_steps_each_linking_to_its_run(viewer):
    canvas = chord([tasks.add.s(1, 2), tasks.add.s(3, 4)], tasks.echo.s()).delay()
    page = viewer.get(f"{RUNS}{canvas.id}/change/").content.decode()
    assert 'id="run-graph"' in page
    assert nodes_of(page) == [
        ("tests.testapp.tasks.add", "COMPLETED"),
        ("tests.testapp.tasks.add", "COMPLETED"),
        ("tests.echo", "COMPLETED"),
    ]
    header = canvas.children[0]
    assert isinstance(header, CanvasRun)
    for step in [*header.children, canvas.children[1]]:
        assert f'href="/admin/django_hatchet/run/{step.id}/change/"' in page
    assert "Each step is a run of its own" in page


def test_an_inline_canvas_that_failed_shows_the_steps_that_never_ran(viewer):
    canvas = chain(tasks.fail.si("no"), tasks.add.s(1)).delay()
    page = viewer.get(f"{RUNS}{canvas.id}/change/").content.decode()
    assert nodes_of(page) == [
        ("tests.testapp.tasks.fail", "FAILED"),
        ("tests.testapp.tasks.add", "CANCELLED"),
    ]


def test_an_inline_workflow_page_draws_its_steps(viewer):
    run = workflows.orders.delay(1)
    page = viewer.get(f"{RUNS}{run.id}/change/").content.decode()
    assert nodes_of(page) == [
        ("load", "COMPLETED"),
        ("price", "COMPLETED"),
        ("reserve", "COMPLETED"),
        ("bill", "COMPLETED"),
    ]
    assert "Each step is a task of this run" in page


def test_a_jobs_page_has_no_graph(viewer):
    run = tasks.add.delay(1, 2)
    assert 'id="run-graph"' not in viewer.get(f"{RUNS}{run.id}/change/").content.decode()


def test_the_list_links_a_step_to_its_canvas_and_can_show_top_level_runs_only(fake_engine, viewer):
    canvas_id = "01a24d3e-0eef-7a73-baae-013d775d18ca"
    fake_engine.rows = [
        row(id=canvas_id, job="django_hatchet.canvas"),
        row(id="step-1", engine_id="e1", metadata={"django_hatchet_canvas": canvas_id}),
        row(id="child-1", engine_id="e2", metadata={"hatchet__parent_workflow_run_id": "e9"}),
    ]
    page = viewer.get(RUNS).content.decode()
    assert f'step of <a href="/admin/django_hatchet/run/{canvas_id}/change/">' in page
    assert 'enqueued by <a href="/admin/django_hatchet/run/e9/change/">' in page
    top = viewer.get(RUNS, {"top": "1"}).content.decode()
    assert f'data-run-id="{canvas_id}"' in top
    assert 'data-run-id="step-1"' not in top
    assert 'data-run-id="child-1"' not in top
    assert 'name="top" value="1" checked' in top


def test_run_now_runs_a_workflow_and_checks_its_arguments_step_by_step(operator):
    url = "/admin/django_hatchet/overview/run/tests.orders/"
    page = operator.post(url, {"args": "[]", "kwargs": "{}"}).content.decode()
    assert "tests.orders.load(order_id: " in page  # The step that refused, and its parameters.
    assert "does not accept these arguments: missing a required argument: &#x27;order_id" in page
    page = operator.post(url, {"args": "[1]", "kwargs": '{"x": 1}'}).content.decode()
    assert "no step of the workflow takes the keyword argument &#x27;x&#x27;." in page
    response = operator.post(url, {"args": "[2]", "kwargs": "{}"}, follow=True)
    page = response.content.decode()
    assert nodes_of(page) == [
        ("load", "COMPLETED"),
        ("price", "COMPLETED"),
        ("reserve", "COMPLETED"),
        ("bill", "COMPLETED"),
    ]
