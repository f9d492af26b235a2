"""A canvas as the JSON its run carries (its plan), and the walk through it.

A plan is a tree of nodes, each with the id its run has (``new_run_id``, given when the
canvas is applied, so that the handle knows every step's id at once):

- ``{"k": "job", "id", "job", "args", "kwargs", "immutable", "countdown"?, "priority"?}``
- ``{"k": "chain", "id", "steps": [...]}``, ``{"k": "group", "id", "members": [...]}``
- ``{"k": "chord", "id", "header": <group>, "body": <node>}``

``walk`` goes through one canvas node; it yields the steps to run next (one, or a group's
members at once) and receives their outcomes. A step is a job's run, or a nested canvas
run as a run of its own. The same walk serves inline runs (``canvas.inline``) and the
engine's durable orchestrator (``worker.canvas``), which replays it after a worker is lost.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from datetime import timedelta
from typing import Any, NamedTuple

from ..options import JobOptions

#: The durable job that runs canvases on the engine, and its options.
ORCHESTRATOR = "django_hatchet.canvas"
#: A canvas may run (and wait for its steps) this long; its steps have their own timeouts.
ORCHESTRATOR_OPTIONS = JobOptions(durable=True, timeout=timedelta(hours=24))

Node = dict[str, Any]


class Step(NamedTuple):
    """A run to start: a job (``node["k"] == "job"``) or a nested canvas, with the values
    it receives before its own arguments (the previous step's result)."""

    node: Node
    head: list[Any]


class Failure(NamedTuple):
    """The failed run that failed a canvas."""

    job: str
    run_id: str
    exc_type: str
    message: str
    #: Inline: the exception itself.
    error: BaseException | None = None

    def describe(self) -> str:
        return f"{self.job} run {self.run_id} failed: {self.exc_type}: {self.message}"


class Outcome(NamedTuple):
    value: Any = None
    failure: Failure | None = None


class StepFailed(Exception):
    """A step failed: the canvas stops, and fails with that step's error."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


_FAILURE_RE = re.compile(
    r"^(?P<job>\S+) run (?P<run_id>\S+) failed: (?P<type>[\w.]+): (?P<msg>.*)$", re.S
)


def parse_failure(text: str) -> Failure | None:
    """The failure ``Failure.describe()`` wrote, read back (from a nested canvas's error)."""
    match = _FAILURE_RE.match(text)
    if match is None:
        return None
    return Failure(match["job"], match["run_id"], match["type"], match["msg"])


def is_canvas(node: Node) -> bool:
    return bool(node["k"] != "job")


def step_arguments(node: Node, head: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    """A job step's arguments: the values it receives, unless immutable, then its own."""
    args = list(node["args"]) if node["immutable"] else [*head, *node["args"]]
    return args, dict(node["kwargs"])


def describe(node: Node) -> str:
    """``chain(a, b)``, ``group(a, b)``, ``chord(group(a, b), c)``, ``orders.price``."""
    kind = node["k"]
    if kind == "job":
        return str(node["job"])
    if kind == "chord":
        return f"chord({describe(node['header'])}, {describe(node['body'])})"
    return f"{kind}({', '.join(describe(n) for n in children(node))})"


def children(node: Node) -> list[Node]:
    """The nodes a canvas node runs as its steps, in order."""
    kind = node["k"]
    if kind == "chain":
        return list(node["steps"])
    if kind == "group":
        return list(node["members"])
    if kind == "chord":
        return [node["header"], node["body"]]
    return []


def _value(outcome: Outcome) -> Any:
    if outcome.failure is not None:
        raise StepFailed(outcome.failure)
    return outcome.value


def walk(node: Node, head: list[Any]) -> Generator[list[Step], list[Outcome], Any]:
    """Run one canvas node: yield the steps to start, receive their outcomes; return the
    canvas's result (a chain: its last step's; a group: the list of its members'; a chord:
    its body's), or raise ``StepFailed`` for the first step that failed."""
    kind = node["k"]
    if kind == "chain":
        value_in = head
        result: Any = None
        for step in node["steps"]:
            (outcome,) = yield [Step(step, value_in)]
            result = _value(outcome)
            value_in = [result]
        return result
    if kind == "group":
        # Every member runs to its end; the first failure, in the group's order, fails it.
        outcomes = yield [Step(member, head) for member in node["members"]]
        return [_value(o) for o in outcomes]
    if kind == "chord":
        (header,) = yield [Step(node["header"], head)]
        (body,) = yield [Step(node["body"], [_value(header)])]
        return _value(body)
    raise ValueError(f"Not a canvas node: {kind!r}")
