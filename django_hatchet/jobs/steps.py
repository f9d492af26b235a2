"""The steps of a workflow (``django_hatchet.workflow``), and its graph: the checks of its
mistakes and the order its steps run in."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from ..exceptions import ArgumentsRefused
from ..options import JobOptions
from .job import signature_text

#: A step's name: a lowercase identifier (it names the keyword argument its children get,
#: and Hatchet lowercases task names).
STEP_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
#: The options of a step (each overrides the workflow's default).
STEP_OPTIONS = frozenset(
    {
        "retries",
        "timeout",
        "schedule_timeout",
        "backoff_factor",
        "backoff_max_seconds",
        "rate_limits",
        "retry_on",
        "takes_context",
        "durable",
    }
)


class Problem(NamedTuple):
    """A mistake in a workflow's graph, as its system check reports it."""

    id: str
    msg: str
    hint: str


class WorkflowStep:
    """One step of a workflow: its function, the names of its parents, and its options. It
    stands for a job where a run needs one (its context, the worker's task function)."""

    def __init__(
        self,
        workflow: Any,
        func: Callable[..., Any],
        step_name: str,
        parents: tuple[str, ...],
        options: JobOptions,
    ) -> None:
        self.workflow = workflow
        self.func = func
        #: Its name in the workflow (the keyword argument its children receive).
        self.step_name = step_name
        #: ``<workflow>.<step>``: its name in logs, errors and signals.
        self.name = f"{workflow.name}.{step_name}"
        self.parents = parents
        self.options = options
        self.is_async = inspect.iscoroutinefunction(func)
        signature = inspect.signature(func)
        if options.takes_context:
            signature = signature.replace(parameters=list(signature.parameters.values())[1:])
        #: The parameters the step takes: the workflow's arguments, then its parents' results.
        self.signature = signature
        functools.update_wrapper(self, func)

    def __repr__(self) -> str:
        return f"<WorkflowStep {self.name}>"

    @property
    def takes_context(self) -> bool:
        return self.options.takes_context

    def new_context(self, run_id: str) -> Any:
        from .context import JobContext

        return JobContext(self, run_id)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the step's function here, like calling it undecorated."""
        if self.takes_context:
            from ..runs.ids import new_run_id

            return self.func(self.new_context(new_run_id()), *args, **kwargs)
        return self.func(*args, **kwargs)

    def keywords(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The workflow's keyword arguments this step takes: those it has a parameter for
        (all of them, if it takes ``**kwargs``)."""
        params = self.signature.parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return kwargs
        return {k: v for k, v in kwargs.items() if k in params}

    def check_call(self, args: Iterable[Any], kwargs: dict[str, Any]) -> None:
        """Raise a TypeError naming the step if it cannot take these arguments."""
        clash = set(kwargs) & set(self.parents)
        if clash:
            raise ArgumentsRefused(
                self.name,
                f"the keyword argument {min(clash)!r} is also the name of a parent step, whose "
                "result the step receives under that name.",
                signature_text(self.signature),
            )
        given = {**self.keywords(kwargs), **dict.fromkeys(self.parents)}
        try:
            self.signature.bind(*args, **given)
        except TypeError as exc:
            raise ArgumentsRefused(self.name, str(exc), signature_text(self.signature)) from None


def find_problems(workflow: str, steps: list[WorkflowStep]) -> list[Problem]:
    """The mistakes in a workflow's graph: two steps of a name, a parent not in it, a cycle."""
    found: list[Problem] = []
    names = [s.step_name for s in steps]
    for name in sorted({n for n in names if names.count(n) > 1}):
        found.append(
            Problem(
                "django_hatchet.E033",
                f"The workflow {workflow!r} has two steps named {name!r}.",
                "Give one of them another name with .step(name=...).",
            )
        )
    for step in steps:
        for parent in step.parents:
            if parent not in names:
                found.append(
                    Problem(
                        "django_hatchet.E031",
                        f"The step {step.name} has the parent {parent!r}, which is not a "
                        f"step of the workflow {workflow!r}.",
                        f"Its steps: {', '.join(names)}. Fix the name in parents=[...].",
                    )
                )
    if not found:
        loop = cycle({s.step_name: s.parents for s in steps})
        if loop:
            found.append(
                Problem(
                    "django_hatchet.E032",
                    f"The steps of the workflow {workflow!r} form a cycle: {' -> '.join(loop)}.",
                    "A step can run only after its parents: remove one of these parents.",
                )
            )
    return found


def in_order(steps: list[WorkflowStep]) -> list[WorkflowStep]:
    """The steps of an acyclic graph, each after its parents (as declared where that allows)."""
    done: set[str] = set()
    ordered: list[WorkflowStep] = []
    while len(ordered) < len(steps):
        for step in steps:
            if step.step_name not in done and done.issuperset(step.parents):
                ordered.append(step)
                done.add(step.step_name)
                break
    return ordered


def takes_any_keyword(step: WorkflowStep) -> bool:
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in step.signature.parameters.values())


def cycle(parents: dict[str, tuple[str, ...]]) -> list[str]:
    """A cycle in the graph (its steps, the first repeated at the end), or []."""
    state: dict[str, int] = {}  # 1: on the path, 2: done.
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        path.append(name)
        for parent in parents.get(name, ()):
            if state.get(parent) == 1:
                return [*path[path.index(parent) :], parent]
            if parent not in state:
                found = visit(parent)
                if found:
                    return found
        state[name] = 2
        path.pop()
        return []

    for name in parents:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return []
