"""The worker behind ``manage.py runworker``."""

from __future__ import annotations

import atexit
import fnmatch
import os
import signal
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from django.core.management.base import CommandError

from ..conf import TLS_STRATEGIES, conf, scrub
from ..crons import Cron, load_crons
from ..jobs.job import Job
from ..jobs.registry import registry


class Output(Protocol):
    def write(self, text: str, /) -> Any: ...
    def flush(self) -> Any: ...


def inline_message() -> str | None:
    """Why this process has no engine to work for, or None when it has one."""
    if conf.CLIENT_TOKEN is None:
        reason = "No Hatchet engine is configured: HATCHET_CLIENT_TOKEN is not set"
    elif conf.ALWAYS_INLINE:
        reason = "HATCHET_ALWAYS_INLINE is True, so no Hatchet engine is used"
    else:
        return None
    return (
        f"{reason} (neither in the settings nor in the environment). There is nothing for a "
        "worker to do: jobs run inline, in the process that enqueues them, and crons "
        "(HATCHET_CRONS) do not run. Set HATCHET_CLIENT_TOKEN to run jobs on Hatchet."
    )


def check_can_start() -> None:
    """Refuse to start, with what to fix, when a jobs module did not import or the TLS
    settings cannot work; the SDK would otherwise run without those jobs, connect without
    TLS, or fail with a bare AssertionError."""
    if registry.import_errors:
        failures = "; ".join(f"{m}: {e}" for m, e in registry.import_errors.items())
        raise CommandError(
            f"A jobs module failed to import, so its jobs would not run here: {failures}. "
            "Fix it (its traceback is logged above), or remove the module's name from "
            "HATCHET_AUTODISCOVER_MODULES."
        )
    from ..jobs.workflow import Workflow

    for workflow in registry:
        if isinstance(workflow, Workflow):
            try:
                workflow.check_structure()
            except Exception as exc:
                raise CommandError(str(exc)) from None
    strategy = conf.CLIENT_OPTIONS.get("tls_strategy") or os.environ.get(
        "HATCHET_CLIENT_TLS_STRATEGY"
    )
    if strategy is not None and strategy not in TLS_STRATEGIES:
        raise CommandError(
            f"HATCHET_CLIENT_TLS_STRATEGY is {strategy!r}; it must be 'tls', 'mtls' or 'none' "
            "(the SDK would connect without TLS)."
        )
    files = {
        name: os.environ.get(name)
        for name in (
            "HATCHET_CLIENT_TLS_ROOT_CA_FILE",
            "HATCHET_CLIENT_TLS_CERT_FILE",
            "HATCHET_CLIENT_TLS_KEY_FILE",
        )
    }
    if strategy == "mtls":
        missing = [name for name, path in files.items() if not path]
        if missing:
            raise CommandError(
                f"HATCHET_CLIENT_TLS_STRATEGY is 'mtls', which needs {', '.join(missing)} "
                "(the environment variables naming the CA, certificate and key files)."
            )
    for name, path in files.items():
        if path and not os.path.isfile(path):
            raise CommandError(f"{name} names {path!r}, which is not a file.")


def engine_error(message: str) -> CommandError:
    """The CommandError for an EngineError's message: the token removed, and a word on TLS
    when the engine's answer points at it."""
    message = scrub(message)
    lowered = message.lower()
    if any(w in lowered for w in ("ssl", "tls", "handshake", "certificate", "wrong_version")):
        message += (
            " This looks like a TLS mismatch: HATCHET_CLIENT_TLS_STRATEGY must match the "
            "engine ('none' for an engine without TLS, 'tls' for one with it; "
            "HATCHET_CLIENT_TLS_ROOT_CA_FILE for a private CA)."
        )
    return CommandError(message)


def select_jobs(
    include: Sequence[str] = (), exclude: Sequence[str] = (), queues: Sequence[str] = ()
) -> list[Job[Any, Any]]:
    """The registered jobs whose names match ``include`` (all if empty) and not ``exclude``;
    with ``queues``, only the jobs of those queues (``@job(queue=...)``), as in Celery's ``-Q``.

    Patterns are shell-style (``orders.*``); one that matches no job is an error.
    """
    jobs = list(registry)
    if queues:
        jobs = [j for j in jobs if j.options.queue in queues]
        if not jobs:
            raise CommandError(f"No job is on the queue(s) {', '.join(queues)}.")
    for pattern in (*include, *exclude):
        if not any(fnmatch.fnmatchcase(job.name, pattern) for job in jobs):
            known = ", ".join(job.name for job in jobs) or "none are registered"
            raise CommandError(f"No job matches {pattern!r}. Registered jobs: {known}.")
    if include:
        jobs = [j for j in jobs if any(fnmatch.fnmatchcase(j.name, p) for p in include)]
    return [j for j in jobs if not any(fnmatch.fnmatchcase(j.name, p) for p in exclude)]


class Worker:
    """Runs jobs from the registry, and the crons of ``HATCHET_CRONS``, on a Hatchet engine."""

    def __init__(
        self,
        *,
        name: str | None = None,
        slots: int | None = None,
        labels: dict[str, str | int] | None = None,
        jobs: Iterable[Job[Any, Any]] | None = None,
        stdout: Output | None = None,
        connect_attempts: int | None = None,
        relay: bool = True,
        drain_timeout: float | None = None,
        verbosity: int = 1,
        metrics: tuple[str, int] | None = None,
    ) -> None:
        self.name = name or conf.WORKER_NAME
        self.slots = slots or conf.WORKER_SLOTS
        self.labels = {**conf.WORKER_LABELS, **(labels or {})}
        self.jobs = list(registry if jobs is None else jobs)
        self.crons = [c for c in load_crons() if c.job in {j.name for j in self.jobs}]
        self.stdout = stdout
        self.connect_attempts = connect_attempts or conf.WORKER_CONNECT_ATTEMPTS
        #: Send the outbox's runs to the engine from this process (``django_hatchet.worker.relay``).
        self.relay = relay
        self.drain_timeout = drain_timeout or conf.WORKER_DRAIN_TIMEOUT.total_seconds()
        #: ``runworker --verbosity``: 3 shows the SDK's lines about each run (``report``).
        self.verbosity = verbosity
        #: Where to serve Prometheus metrics (``runworker --metrics-port``): address, port;
        #: the durable worker serves its own on the next port.
        self.metrics = metrics
        #: The durable worker's process (``worker.durable``), once started.
        self.durable: Any = None
        self.stopping = False

    def write(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text + "\n")
            self.stdout.flush()

    def run(self) -> None:
        """Connect, register the jobs and crons, and work until stopped (never returns)."""
        from ..engine import worker

        if not self.jobs:
            raise CommandError(
                "No jobs to run: the registry is empty, or --jobs/--exclude left none."
            )
        from .report import configure

        configure(self.verbosity)
        if self.metrics is not None:
            serve_metrics(*self.metrics, self.slots)
        address = worker.connect(self.connect_attempts, on_retry=self._say_retry)
        if conf.RATE_LIMITS:
            worker.put_rate_limits(conf.RATE_LIMITS)
        from ..crons.sync import sync_crons

        plan = sync_crons(self.crons)
        from .cron_watch import start_cron_watch, sync_pass

        sync_pass()  # The crons made in the admin; then every HATCHET_CRON_SYNC_INTERVAL.
        self.write(self.banner(address, plan.next_runs, stored_crons()))
        start_cron_watch()
        if self.relay:
            from .relay import start_relay_thread

            start_relay_thread()
        from .durable import SUFFIX, durable_tasks, start_durable, watch
        from .execution import definition

        plain = [job for job in self.jobs if not job.options.durable]
        durable_jobs = [job for job in self.jobs if job.options.durable]
        if not plain:  # Nothing to keep apart: one worker.
            self._start(durable_tasks(durable_jobs))
            return
        # Durable jobs, workflows with a durable step, and canvases run in a worker of
        # their own (see worker.durable).
        self.durable = start_durable(
            self.name,
            self.slots,
            self.labels,
            [job.name for job in durable_jobs],
            self.drain_timeout,
            self.verbosity,
            self.durable_metrics,
        )
        self.write(
            f"durable jobs and canvases: worker {self.name + SUFFIX!r} (process {self.durable.pid})"
            + (f"; its metrics on port {self.durable_metrics[1]}" if self.durable_metrics else "")
        )
        atexit.register(self._stop_durable)
        watch(self.durable, self._durable_died)
        self._start([definition(job) for job in plain])

    @property
    def durable_metrics(self) -> tuple[str, int] | None:
        """Where the durable worker serves its metrics: the next port."""
        return None if self.metrics is None else (self.metrics[0], self.metrics[1] + 1)

    def _start(self, tasks: list[Any]) -> None:
        from ..engine import worker

        worker.start_worker(
            self.name,
            self.slots,
            self.labels,
            tasks,
            self.drain_timeout,
            self._drain_timed_out,
            self._forward,
        )

    def _forward(self, signum: int) -> None:
        """A stop signal to this process stops the durable worker too."""
        self.stopping = True
        if self.durable is not None and self.durable.is_alive():
            os.kill(self.durable.pid, signum)

    def _durable_died(self, exitcode: int | None) -> None:
        if not self.stopping:
            self.write(
                f"The durable worker (process {self.durable.pid}) stopped (exit code "
                f"{exitcode}); stopping this one too, so that both restart together."
            )
            os.kill(os.getpid(), signal.SIGTERM)

    def _stop_durable(self) -> None:
        """At exit: wait for the durable worker's drain, then make sure it is gone."""
        if self.durable is None:
            return
        self.durable.join(self.drain_timeout + 5)
        if self.durable.is_alive():
            self.durable.kill()

    def _drain_timed_out(self) -> None:
        from .execution import IN_FLIGHT

        running = ", ".join(f"{job} run {run_id}" for job, run_id in sorted(IN_FLIGHT.copy()))
        self.write(
            f"The drain timeout ({self.drain_timeout:g} s) has passed with runs still going: "
            f"{running or 'none'}. Stopping now; the engine runs them again on another worker "
            "(their retries permitting) once it sees this one is gone."
        )

    def _say_retry(self, address: str, error: str, delay: float) -> None:
        self.write(
            f"Cannot reach the Hatchet engine at {address} ({error}); retrying in {delay:.0f} s."
        )

    def banner(
        self, address: str, next_runs: dict[str, str] | None = None, stored: Sequence[Cron] = ()
    ) -> str:
        from ..crons import next_runs as next_stored_runs

        next_runs = {**(next_runs or {}), **next_stored_runs(stored)}
        lines = [
            f"django-hatchet worker {self.name!r} on the Hatchet engine at {address}",
            f"slots: {self.slots}"
            + (f"; labels: {self.labels}" if self.labels else "")
            + f"; drain timeout: {self.drain_timeout:g} s"
            + ("; outbox relay: on" if self.relay else "; outbox relay: off (--no-relay)"),
            "",
            _table(
                ("job", "retries", "timeout", "schedule timeout"),
                [
                    (
                        job.name,
                        str(job.options.retries),
                        str(job.options.timeout or conf.DEFAULT_TIMEOUT),
                        str(job.options.schedule_timeout or conf.DEFAULT_SCHEDULE_TIMEOUT),
                    )
                    for job in self.jobs
                ],
            ),
        ]
        crons = [*self.crons, *stored]
        if crons:
            lines += [
                "",
                _table(
                    ("cron", "from", "job", "schedule (UTC)", "next run (UTC)"),
                    [
                        (
                            c.name,
                            "settings" if c in self.crons else "admin",
                            c.job,
                            c.schedule,
                            next_runs.get(c.name, "-") if c.enabled else "paused",
                        )
                        for c in crons
                    ],
                ),
            ]
        else:
            lines += ["", "no crons (HATCHET_CRONS, or made in the admin)"]
        return "\n".join(lines)


def serve_metrics(address: str, port: int, slots: int) -> None:
    """Serve this worker process's Prometheus metrics (``runworker --metrics-port``)."""
    from ..integrations import install
    from ..integrations.metrics import MetricsNotServed, serve
    from .execution import IN_FLIGHT

    install(metrics=True)
    try:
        serve(address, port, slots, IN_FLIGHT.__len__)
    except MetricsNotServed as exc:
        raise CommandError(str(exc)) from None


def stored_crons() -> list[Cron]:
    """The crons made in the admin that the engine can have (none before ``migrate``)."""
    from django.db import DatabaseError

    from ..crons.stored import load_stored

    try:
        return load_stored()[0]
    except DatabaseError:
        return []


def _table(header: Sequence[str], rows: list[Sequence[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in rows]
    return "\n".join(s.rstrip() for s in out)
