"""The graph of a workflow's or a canvas's steps on its run page: inline SVG drawn on the
server (no script, no CDN), each step a box with its status and duration, each step of a
canvas a link to its own run."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ..canvas.plan import Node
from ..runs.rows import RunRow, StepNode
from .display import duration
from .stats import COLOURS

#: A box's size and the gaps between boxes, in SVG units (pixels at 100%).
BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 168, 46, 56, 12, 8
#: A column shows at most this many steps; the others are counted in one last box.
MAX_ROWS = 24


def canvas_steps(plan: Node, runs: dict[str, RunRow]) -> list[StepNode]:
    """The job steps of a canvas's plan, each with the steps it waits for as parents: a
    chain's step waits for the one before it, a group's members for what came before the
    group, a chord's callback for the whole group. ``runs``: the steps' runs, by run id."""
    nodes: list[StepNode] = []

    def add(node: Node, before: list[str]) -> list[str]:
        kind = node["k"]
        if kind == "job":
            run = runs.get(node["id"])
            nodes.append(
                StepNode(
                    key=node["id"],
                    label=str(node["job"]),
                    status=run.status if run is not None else "",
                    parents=tuple(before),
                    duration_ms=run.duration_ms if run is not None else None,
                    run_id=node["id"],
                )
            )
            return [node["id"]]
        if kind == "chain":
            for step in node["steps"]:
                before = add(step, before)
            return before
        if kind == "group":
            return [last for member in node["members"] for last in add(member, before)]
        if kind == "chord":
            return add(node["body"], add(node["header"], before))
        return before

    add(plan, [])
    return nodes


def canvas_ids(plan: Node) -> list[str]:
    """The run ids of a plan's canvases (itself and those nested in it)."""
    if plan["k"] == "job":
        return []
    from ..canvas.plan import children

    return [plan["id"], *(i for child in children(plan) for i in canvas_ids(child))]


def columns(nodes: list[StepNode]) -> list[list[StepNode]]:
    """The steps by column: a step stands one column right of its last parent."""
    parents = {node.key: node.parents for node in nodes}
    depth: dict[str, int] = {}

    def depth_of(key: str, seen: frozenset[str] = frozenset()) -> int:
        # The engine lists a workflow's steps in no particular order: look the parents up.
        if key not in depth:
            above = [p for p in parents.get(key, ()) if p in parents and p not in seen]
            depth[key] = 1 + max((depth_of(p, seen | {key}) for p in above), default=-1)
        return depth[key]

    for node in nodes:
        depth_of(node.key)
    found: list[list[StepNode]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in nodes:
        found[depth[node.key]].append(node)
    return found


def svg_graph(nodes: list[StepNode]) -> SafeString:
    """The steps as boxes in columns, lines from each parent to its children."""
    where: dict[str, tuple[float, float]] = {}
    boxes: list[SafeString] = []
    more: list[tuple[Any, ...]] = []
    cols = columns(nodes)
    tallest = min(max((len(c) for c in cols), default=1), MAX_ROWS)
    for x_index, column in enumerate(cols):
        x = PAD + x_index * (BOX_W + GAP_X)
        shown = column if len(column) <= MAX_ROWS else column[: MAX_ROWS - 1]
        rows = min(len(column), MAX_ROWS)
        top = PAD + (tallest - rows) * (BOX_H + GAP_Y) / 2  # Each column centred.
        for y_index, node in enumerate(shown):
            y = top + y_index * (BOX_H + GAP_Y)
            where[node.key] = (x, y)
            boxes.append(_box(node, x, y))
        if len(shown) < len(column):
            y = top + len(shown) * (BOX_H + GAP_Y)
            hidden = column[len(shown) :]
            for node in hidden:
                where[node.key] = (x, y)
            more.append((x, y, BOX_W, BOX_H, x + 8, y + 28, f"… {len(hidden)} more steps"))
    lines = [
        (_curve(where[parent], where[node.key]),)
        for node in nodes
        if node.key in where
        for parent in node.parents
        if parent in where
    ]
    width = PAD * 2 + len(cols) * BOX_W + max(len(cols) - 1, 0) * GAP_X
    height = PAD * 2 + tallest * BOX_H + max(tallest - 1, 0) * GAP_Y
    return format_html(
        '<svg class="hatchet-graph" id="run-graph" role="img" viewBox="0 0 {} {}" width="{}" '
        'height="{}" aria-label="The steps of this run and their statuses">{}{}{}</svg>',
        width,
        height,
        width,
        height,
        format_html_join(
            "",
            '<path d="{}" class="hatchet-graph-edge"/>',
            lines,
        ),
        format_html_join("", "{}", ((box,) for box in boxes)),
        format_html_join(
            "",
            '<g><rect x="{}" y="{}" width="{}" height="{}" rx="4" class="hatchet-graph-more"/>'
            '<text x="{}" y="{}" class="hatchet-graph-label">{}</text></g>',
            more,
        ),
    )


def _short(label: str, room: int = 22) -> str:
    """A job's name that fits a box: ``orders.tasks.price`` -> ``tasks.price``, ``price``."""
    parts = label.split(".")
    while len(label) > room and len(parts) > 1:
        parts = parts[1:]
        label = ".".join(parts)
    return label if len(label) <= room else label[: room - 1] + "…"


def _curve(start: tuple[float, float], end: tuple[float, float]) -> str:
    """The path of a line from a parent's box (its right side) to a child's (its left)."""
    (px, py), (cx, cy) = start, end
    x1, y1, x2, y2 = px + BOX_W, py + BOX_H / 2, cx, cy + BOX_H / 2
    middle = (x1 + x2) / 2
    return f"M{x1:.0f},{y1:.0f} C{middle:.0f},{y1:.0f} {middle:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"


def _box(node: StepNode, x: float, y: float) -> SafeString:
    status = node.status or "not started"
    colour = COLOURS.get(node.status, "#cccccc")
    took = duration(node.duration_ms) if node.duration_ms is not None else ""
    label = _short(node.label)
    box = format_html(
        '<g class="hatchet-graph-node" data-step="{}" data-status="{}">'
        "<title>{} ({}{})</title>"
        '<rect x="{}" y="{}" width="{}" height="{}" rx="4" fill="#ffffff" stroke="{}" '
        'stroke-width="2"/><rect x="{}" y="{}" width="6" height="{}" fill="{}"/>'
        '<text x="{}" y="{}" class="hatchet-graph-label">{}</text>'
        '<text x="{}" y="{}" class="hatchet-graph-status">{}{}</text></g>',
        node.label,
        status,
        node.label,
        status.lower(),
        f", {took}" if took else "",
        x,
        y,
        BOX_W,
        BOX_H,
        colour,
        x,
        y,
        BOX_H,
        colour,
        x + 14,
        y + 19,
        label,
        x + 14,
        y + 36,
        status.lower(),
        f" · {took}" if took else "",
    )
    if node.run_id is None:
        return box
    url = reverse("admin:django_hatchet_run_change", args=[node.run_id])
    return format_html('<a href="{}">{}</a>', url, box)
