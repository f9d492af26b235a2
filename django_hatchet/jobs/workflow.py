"""Workflows declared in Django: a graph of steps known in advance (a DAG), run on the engine
as one Hatchet workflow with a task per step, and inline step after step.

::

    onboarding = workflow("onboarding")

    @onboarding.step()
    def create_account(email): ...

    @onboarding.step(parents=[create_account])
    def send_welcome(email, create_account): ...

Every step receives the workflow's positional arguments and those of its keyword arguments
it has parameters for; a step with parents also receives each parent's result, as a keyword
argument named after the parent. A run's result is a dict of
every step's result, by step name. The graph's mistakes (a parent not in the workflow, a
cycle, two steps of one name) are system checks (``django_hatchet.E030``-``E033``), and a
workflow that has one refuses to run.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable
from typing import Any, overload

from asgiref.sync import async_to_sync

from ..encoding import return_value_error, round_trip
from ..exceptions import ArgumentsRefused, JobError
from ..options import JobOptions, StepDeclaration, Steps, check_options
from ..runs.handle import JobRun
from .job import Job, describe_function
from .registry import registry
from .steps import (
    STEP_NAME_RE,
    STEP_OPTIONS,
    Problem,
    WorkflowStep,
    find_problems,
    in_order,
    takes_any_keyword,
)

#: The options of a workflow: for its runs as a whole, and defaults for its steps.
WORKFLOW_OPTIONS = frozenset(
    {
        "retries",
        "timeout",
        "schedule_timeout",
        "backoff_factor",
        "backoff_max_seconds",
        "priority",
        "enqueue_on_commit",
        "concurrency",
        "queue",
        "on_events",
        "on_unreachable",
    }
)
#: The workflow's options that its steps take as their defaults.
STEP_DEFAULTS = (WORKFLOW_OPTIONS & STEP_OPTIONS) | {"queue"}


class WorkflowRun(JobRun[dict[str, Any]]):
    """The handle of a workflow's run: ``get()`` gives every step's result, by step name."""

    __slots__ = ()
    steps_named = True

    def output_of(self, outputs: dict[str, Any]) -> dict[str, Any] | None:
        return {
            "result": {
                name: (output or {}).get("result") for name, output in sorted(outputs.items())
            }
        }


class Workflow(Job[..., dict[str, Any]]):
    """A workflow: its steps, run as one run (``delay()``, ``apply_async()``, crons, the
    admin) whose result is every step's result, by step name."""

    handle_class = WorkflowRun
    logs_failures = True

    def __init__(self, name: str, options: JobOptions, given: dict[str, Any], module: str):
        self.name = name
        self.options = options
        self.about: tuple[str, str] | None = None  # @about (Job.about).
        #: The step options the workflow gives as defaults.
        self.step_defaults = {k: v for k, v in given.items() if k in STEP_DEFAULTS}
        self.steps: list[WorkflowStep] = []
        #: Where the workflow was declared (``workflow()``'s caller).
        self.module = module
        self._plain_arity = -1  # Its arguments are checked against every step.
        self._problems: list[Problem] = []

        def run_workflow(context: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return self.run_here(context.run_id, args, kwargs)

        # Two workflows of one name are the same one only when declared in the same module.
        run_workflow.__module__ = module
        run_workflow.__qualname__ = f"workflow({name!r})"
        self.func = run_workflow
        self.__name__ = self.__qualname__ = name
        self.__module__ = module
        self.__doc__ = f"The workflow {name!r}."

    def __repr__(self) -> str:
        return f"<Workflow {self.name}>"

    # Declaring ------------------------------------------------------------------------------

    @overload
    def step(self, func: Callable[..., Any], /) -> WorkflowStep: ...
    @overload
    def step(
        self,
        *,
        name: str | None = None,
        parents: Iterable[WorkflowStep | str] = (),
        **options: Any,
    ) -> Callable[[Callable[..., Any]], WorkflowStep]: ...
    def step(  # type: ignore[misc]  # (mypy: **options and the positional func)
        self,
        func: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        parents: Iterable[WorkflowStep | str] = (),
        **options: Any,
    ) -> WorkflowStep | Callable[[Callable[..., Any]], WorkflowStep]:
        """Register a function as a step: ``@onboarding.step(parents=[create_account])``.

        ``parents`` are steps of this workflow (or their names); the step runs once they
        have all completed, and receives each one's result as a keyword argument named
        after it. ``options``: ``retries``, ``timeout``, ``schedule_timeout``, the backoff,
        ``rate_limits``, ``retry_on``, ``takes_context`` and ``durable``."""

        def decorate(func: Callable[..., Any]) -> WorkflowStep:
            return self._add_step(func, name, parents, options)

        if func is None:
            return decorate
        return decorate(func)

    def _add_step(
        self,
        func: Callable[..., Any],
        name: str | None,
        parents: Iterable[WorkflowStep | str],
        options: dict[str, Any],
    ) -> WorkflowStep:
        if not inspect.isfunction(func):
            raise TypeError(f"{self.name}.step() decorates a function, not {type(func).__name__}.")
        where = f"{self.name}.step() on {describe_function(func)}"
        _check_names(
            where,
            options,
            STEP_OPTIONS,
            WORKFLOW_OPTIONS,
            f"an option of the whole workflow: pass it to workflow({self.name!r}, {{option}}=...)",
        )
        step_name = func.__name__ if name is None else name
        if not isinstance(step_name, str) or not STEP_NAME_RE.match(step_name):
            raise ValueError(
                f"{where}: the step name {step_name!r} is not a lowercase identifier "
                "(letters, digits and '_'): it names the keyword argument its children "
                "receive. Name the step with .step(name=...)."
            )
        checked = check_options(where, func, {**self.step_defaults, **options})
        step = WorkflowStep(self, func, step_name, self._parent_names(where, parents), checked)
        for parent in step.parents:
            if parent not in step.signature.parameters and not takes_any_keyword(step):
                raise TypeError(
                    f"{where}: the step has the parent {parent!r} but no parameter {parent!r} "
                    f"to receive its result. Add the parameter: def {func.__name__}(..., "
                    f"{parent}): ..."
                )
        self.steps.append(step)
        self._problems = find_problems(self.name, self.steps)
        self.options = self.options._replace(durable=any(s.options.durable for s in self.steps))
        return step

    def _parent_names(self, where: str, parents: Iterable[WorkflowStep | str]) -> tuple[str, ...]:
        if isinstance(parents, (str, WorkflowStep)):
            parents = [parents]
        names = []
        for parent in parents:
            if isinstance(parent, WorkflowStep):
                if parent.workflow is not self:
                    raise ValueError(
                        f"{where}: the parent {parent.name} is a step of the workflow "
                        f"{parent.workflow.name!r}, not of {self.name!r}."
                    )
                names.append(parent.step_name)
            elif isinstance(parent, str):
                names.append(parent)
            else:
                raise TypeError(
                    f"{where}: each parent must be a step of {self.name!r} or its name, not "
                    f"{type(parent).__name__}."
                )
        if len(set(names)) != len(names):
            raise ValueError(f"{where}: a parent is named twice in {names}.")
        return tuple(names)

    # The graph ------------------------------------------------------------------------------

    def problems(self) -> list[Problem]:
        """The mistakes in the graph (empty when it can run)."""
        return list(self._problems)

    def check_structure(self) -> None:
        """Raise a JobError saying what to fix if the workflow cannot run."""
        if not self.steps:
            raise JobError(
                f"The workflow {self.name!r} has no steps: declare them with "
                f"@{self.name}.step() (django_hatchet.E030).",
                job_name=self.name,
            )
        if self._problems:
            problem = self._problems[0]
            raise JobError(f"{problem.msg} {problem.hint} ({problem.id})", job_name=self.name)

    def ordered_steps(self) -> list[WorkflowStep]:
        """The steps, each after its parents (in the order declared where that allows)."""
        self.check_structure()
        return in_order(self.steps)

    @property
    def engine_steps(self) -> Steps:
        return tuple(
            StepDeclaration(s.step_name, s.parents, s.options) for s in self.ordered_steps()
        )

    @property
    def signature(self) -> inspect.Signature:  # type: ignore[override]
        """The arguments of a run: the parameters of its first step without parents."""
        roots = [s for s in self.steps if not s.parents]
        return roots[0].signature if roots else inspect.Signature()

    @property
    def takes_context(self) -> bool:
        # The inline backend passes a context, for the run's id; callers pass no context.
        return True

    # Running --------------------------------------------------------------------------------

    def validate_arguments(self, args: Iterable[Any], kwargs: dict[str, Any]) -> None:
        self.check_structure()
        for step in self.steps:
            step.check_call(args, kwargs)
        taken = {k for step in self.steps for k in step.keywords(kwargs)}
        for keyword in kwargs:
            if keyword not in taken:
                raise ArgumentsRefused(
                    self.name, f"no step of the workflow takes the keyword argument {keyword!r}."
                )

    def s(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(_NOT_A_STEP.format(name=self.name))

    si = s

    def run_here(self, run_id: str, args: Iterable[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Run every step in this process, each after its parents, with the same JSON round
        trip as on the engine. A failed step stops the steps that depend on it; the others
        still run; then its exception is raised (the first, in the order the steps ran)."""
        args = list(args)
        results: dict[str, Any] = {}
        failed: dict[str, BaseException] = {}
        for step in self.ordered_steps():
            if any(p in failed for p in step.parents):
                failed[step.step_name] = failed[next(p for p in step.parents if p in failed)]
                continue
            parents = {p: results[p] for p in step.parents}
            call_args = [step.new_context(run_id), *args] if step.takes_context else args
            try:
                if step.is_async:
                    value = async_to_sync(step.func)(*call_args, **step.keywords(kwargs), **parents)
                else:
                    value = step.func(*call_args, **step.keywords(kwargs), **parents)
                try:
                    results[step.step_name] = round_trip(value)
                except (TypeError, ValueError):
                    raise return_value_error(step.name, value) from None
            except Exception as exc:
                failed[step.step_name] = exc
        if failed:
            raise next(iter(failed.values()))
        return results


_NOT_A_STEP = (
    "{name} is a workflow: it cannot be a step of a canvas (chain, group, chord). Run it "
    "with {name}.delay(...), or start it from a job of the canvas."
)


def workflow(name: str, **options: Any) -> Workflow:
    """Declare a workflow, registered under ``name``; add its steps with ``@<it>.step()``.

    ``options``: ``priority``, ``concurrency``, ``on_events``, ``enqueue_on_commit``,
    ``on_unreachable`` and ``queue`` for its runs as a whole; ``retries``, ``timeout``,
    ``schedule_timeout`` and the backoff as defaults for its steps."""
    from ..options import NAME_RE

    where = f"workflow({name!r})"
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError(
            f"{where}: the workflow name is not one Hatchet accepts. Use only letters, "
            "digits, '.', '_' and '-' (e.g. 'onboarding')."
        )
    _check_names(
        where,
        options,
        WORKFLOW_OPTIONS,
        STEP_OPTIONS,
        "an option of a step: pass it to @<workflow>.step({option}=...)",
    )
    checked = check_options(where, _no_function, options)
    module = sys._getframe(1).f_globals.get("__name__", "__main__")
    declared = Workflow(name, checked, options, module)
    registry.register(declared)
    return declared


def _check_names(
    where: str, given: dict[str, Any], allowed: frozenset[str], other: frozenset[str], hint: str
) -> None:
    """Refuse an option that is not ``allowed``, saying where it goes if it is ``other``'s."""
    unknown = set(given) - allowed
    if not unknown:
        return
    option = min(unknown)
    if option in other:
        raise TypeError(f"{where}: {option!r} is {hint.format(option=option)}.")
    raise TypeError(f"{where}: unexpected keyword argument {option!r}.")


def _no_function() -> None:
    """The function ``check_options`` is given for a workflow's options (it checks none)."""
