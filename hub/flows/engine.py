"""The ``flow.step`` job: runs a run's current step, records it, and goes on to the next.

Steps that follow one another without waiting run in the same job, each committed as it
finishes (a crash resumes at the first step not recorded). A step that fails with a
transient error is tried again on the step's ``retry`` schedule; any other failure, or the
last attempt, fails the run at that step, where ``hub flows retry RUN`` resumes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Connection, Engine

from hub.db.engine import read_only
from hub.db.types import utcnow
from hub.errors import AuthExpiredError, HubError, NotFoundError, RecordError, RetryableError
from hub.flows.expressions import as_cel, plain
from hub.flows.registry import FlowCache
from hub.flows.runs import (
    ACTIVE,
    advance,
    fail_run,
    load_run,
    load_step,
    queue_step,
    save_step,
    set_waiting,
)
from hub.flows.spec import Flow, Step, parse_duration
from hub.flows.steps import INSIDE, OUTSIDE, ConnectorPool, StepContext, value
from hub.jobs.queue import Job
from hub.jobs.worker import Handler
from hub.mapping.registry import RegistryCache
from hub.security.secrets import SecretBox
from hub.settings import Settings
from hub.store.records import get_record
from hub.sync.plan import secret_box
from hub.workspace.loader import Workspace, load_workspace

log = logging.getLogger(__name__)

MAX_INLINE_STEPS = 50  # a run moves on in one job at most this far before yielding the worker


class _Moved(Exception):
    """The run is no longer at this step (another job moved it, or it was cancelled)."""


@dataclass
class Outcome:
    status: str  # advanced, waiting, retrying, failed, done, stale
    step: str
    run: dict[str, Any] | None = None  # the run as recorded, when it advanced


class FlowRunner:
    def __init__(self, engine: Engine, settings: Settings, *, flows: FlowCache | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, secrets: SecretBox | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock
        self.settings = settings
        self.flows = flows or FlowCache(settings.workspace)
        self.mappings = RegistryCache(check_every=1.0)
        self.transport = transport
        self.secrets = secrets or secret_box(settings.secret_key.get_secret_value() if settings.secret_key else None)
        self.pool = ConnectorPool(engine, self.secrets, transport)
        self._workspace: tuple[float, Workspace] | None = None

    def workspace(self) -> Workspace:
        # hub.yaml is read at most once a second (as the mappings are), not per step.
        now = time.monotonic()
        if self._workspace is None or now - self._workspace[0] > 1.0:
            self._workspace = (now, load_workspace(self.settings.workspace))
        return self._workspace[1]

    async def handle(self, job: Job) -> dict[str, Any]:
        run_id, step_id = str(job.payload["run"]), str(job.payload["step"])
        check = job.payload.get("check")
        if job.attempts > 1:  # claimed again after a worker died: it may have got past the step it started at
            step_id = await asyncio.to_thread(self._current_step, run_id, step_id)
        outcomes = []
        known: dict[str, Any] | None = None
        for _ in range(MAX_INLINE_STEPS):
            outcome = await self.run_step(run_id, step_id, check=check, known=known)
            outcomes.append(outcome.status)
            if outcome.status != "advanced":
                break
            step_id, check, known = outcome.step, None, outcome.run
        else:
            await asyncio.to_thread(self._queue, run_id, step_id)
        return {"run": run_id, "steps": outcomes}

    def _current_step(self, run_id: str, started_at: str) -> str:
        with read_only(self.engine) as conn:
            try:
                run = load_run(conn, run_id)
            except NotFoundError:
                return started_at
        return str(run["step"]) if run["status"] == "running" and run["step"] else started_at

    def _queue(self, run_id: str, step_id: str) -> None:
        with self.engine.begin() as conn:
            queue_step(conn, run_id, step_id)

    async def run_step(self, run_id: str, step_id: str, *, check: str | None = None,
                       known: dict[str, Any] | None = None) -> Outcome:
        """Run one step; ``known``: the run as this job just recorded it (saves reading it again)."""
        now = self.clock()
        prepared = await asyncio.to_thread(self._prepare, run_id, step_id, now, known)
        if prepared is None:
            return Outcome("stale", step_id)
        run, flow, workspace, activation = prepared
        step = flow.step(step_id)
        ctx = StepContext(self.engine, workspace, self.mappings.get(workspace.root), flow, run, activation, now,
                          self.pool)
        try:
            return await self._execute(step, ctx, check)
        except _Moved:
            return Outcome("stale", step_id)
        except (RetryableError, AuthExpiredError) as exc:
            return await asyncio.to_thread(self._retry_or_fail, run, step, exc, now)
        except HubError as exc:
            return await asyncio.to_thread(self._failed, run, step, exc.code, exc.message, now)
        except Exception as exc:  # a bug: keep the evidence on the run
            log.exception("flow %s run %s step %s crashed", flow.name, run_id, step.id)
            return await asyncio.to_thread(self._failed, run, step, "internal_error", f"{type(exc).__name__}: {exc}",
                                           now)

    def _prepare(self, run_id: str, step_id: str, now: datetime, known: dict[str, Any] | None
                 ) -> tuple[dict[str, Any], Flow, Workspace, dict[str, Any]] | None:
        with read_only(self.engine) as conn:
            try:
                run = known or load_run(conn, run_id)
            except NotFoundError:
                return None
            if run["status"] not in ACTIVE or run["step"] != step_id:
                return None
            prepared = self._flow_of(run, step_id, now)
            if prepared is None:
                return None
            return run, *prepared, self._activation(conn, run, prepared[0], now)

    def _flow_of(self, run: dict[str, Any], step_id: str, now: datetime) -> tuple[Flow, Workspace] | None:
        if run["status"] not in ACTIVE or run["step"] != step_id:
            return None  # done already (a job repeated after a crash), moved on, or cancelled
        try:
            flow = self.flows.get().get(run["flow"])
            flow.step(step_id)
        except HubError as exc:
            with self.engine.begin() as conn:
                fail_run(conn, run["id"], step_id, {"step": step_id, "code": exc.code,
                                                    "message": f"{exc.message} (was the flow file changed?)"}, now=now)
            return None
        return flow, self.workspace()

    def _activation(self, conn: Connection, run: dict[str, Any], flow: Flow, now: datetime) -> dict[str, Any]:
        event = (run["context"] or {}).get("event") or {}
        current = event.get("data") or {}
        if run["record_id"] and run["entity"]:
            with contextlib.suppress(NotFoundError):  # deleted since: the event's copy
                current = get_record(conn, run["entity"], run["record_id"])
        return {"event": as_cel(event), "record": as_cel(current), "steps": as_cel(run["context"].get("steps", {})),
                "vars": as_cel(dict(flow.vars)), "run": {"id": run["id"], "flow": run["flow"]}, "now": now}

    async def _execute(self, step: Step, ctx: StepContext, check: str | None) -> Outcome:
        if step.when is not None and step.for_each is None and not step.when.test(ctx.activation):
            return await asyncio.to_thread(self._finish, step, ctx, {"skipped": True}, ctx.flow.after(step),
                                           "skipped")
        if step.kind == "wait":
            return await asyncio.to_thread(self._wait, step, ctx, check)
        if step.kind == "branch":
            taken = step.option("if").test(ctx.activation)
            target = step.option("then" if taken else "else")
            following = ctx.flow.after(step) if target is None else (None if target == "end" else target)
            return await asyncio.to_thread(self._finish, step, ctx, {"took": "then" if taken else "else"},
                                           following)
        if step.kind in OUTSIDE:
            output = await OUTSIDE[step.kind](step, ctx)
            return await asyncio.to_thread(self._finish, step, ctx, output, ctx.flow.after(step))
        return await asyncio.to_thread(self._finish_inside, step, ctx)

    def _finish_inside(self, step: Step, ctx: StepContext) -> Outcome:
        with self.engine.begin() as conn:
            output = INSIDE[step.kind](step, ctx, conn)
            return self._record_done(conn, step, ctx, output, ctx.flow.after(step), "succeeded")

    def _finish(self, step: Step, ctx: StepContext, output: dict[str, Any], following: str | None,
                status: str = "succeeded") -> Outcome:
        with self.engine.begin() as conn:
            for write in ctx.deferred:
                write(conn)
            return self._record_done(conn, step, ctx, output, following, status)

    def _record_done(self, conn: Connection, step: Step, ctx: StepContext, output: dict[str, Any],
                     following: str | None, status: str) -> Outcome:
        save_step(conn, ctx.run["id"], step.id, kind=step.kind, status=status, now=ctx.now, output=output,
                  attempt=status != "skipped", finished=True)
        if not advance(conn, ctx.run, step.id, plain(output), following, now=ctx.now):
            raise _Moved()  # rolls the step's own writes back too
        return Outcome("done" if following is None else "advanced", following or step.id, ctx.run)

    # -- wait ---------------------------------------------------------------------------------------

    def _wait(self, step: Step, ctx: StepContext, check: str | None) -> Outcome:
        run_id, now = ctx.run["id"], ctx.now
        with self.engine.begin() as conn:
            row = load_step(conn, run_id, step.id)
            state = dict(row["output"] or {}) if row and row["status"] == "waiting" else None
            if state is None:  # first visit
                state = {"started_at": now.isoformat()}
                if "until" in step.options:
                    state["deadline"] = (now + parse_duration(step.option("timeout"))).isoformat()
                else:
                    state["due"] = self._due(step, ctx).isoformat()
            holds = "until" in step.options and step.option("until").test(ctx.activation)
            if holds or ("due" in state and now >= datetime.fromisoformat(state["due"])):
                return self._record_done(conn, step, ctx, {**state, "waited": True}, ctx.flow.after(step),
                                         "succeeded")
            if "deadline" in state and now >= datetime.fromisoformat(state["deadline"]):
                return self._timed_out(conn, step, ctx, state)
            if row is not None and row["status"] == "waiting" and check != state.get("next_check"):
                return Outcome("waiting", step.id)  # an early wake-up that found nothing: the scheduled check stays
            if "due" in state:
                at = datetime.fromisoformat(state["due"])
            else:
                every = parse_duration(step.option("every") or "1m")
                at = min(now + every, datetime.fromisoformat(state["deadline"]))
            state["next_check"] = at.isoformat()
            save_step(conn, run_id, step.id, kind=step.kind, status="waiting", now=now, output=state)
            set_waiting(conn, run_id, now=now)
            queue_step(conn, run_id, step.id, at=at, check=state["next_check"])
            return Outcome("waiting", step.id)

    def _due(self, step: Step, ctx: StepContext) -> datetime:
        if "at" in step.options:
            at = value(step, "at", ctx.activation)
            try:
                due = datetime.fromisoformat(str(at))
            except ValueError as exc:
                raise RecordError(f"step {step.id}: at gave {at!r}, not a timestamp") from exc
            if due.tzinfo is None:
                raise RecordError(f"step {step.id}: at gave {at!r} without a time zone; write it with an offset "
                                  "(2026-11-25T18:00:00+08:00) or build it with timestamp(...)")
            return due
        delay = value(step, "delay", ctx.activation)
        return ctx.now + (delay if isinstance(delay, timedelta) else parse_duration(delay))

    def _timed_out(self, conn: Connection, step: Step, ctx: StepContext, state: dict[str, Any]) -> Outcome:
        action = step.option("on_timeout") or "fail"
        if action == "fail":
            save_step(conn, ctx.run["id"], step.id, kind=step.kind, status="failed", now=ctx.now, output=state,
                      error="timed out", finished=True)
            fail_run(conn, ctx.run["id"], step.id, {"step": step.id, "code": "timeout",
                                                    "message": f"step {step.id}: the condition did not hold before "
                                                               f"{state['deadline']}"}, now=ctx.now)
            return Outcome("failed", step.id)
        following = ctx.flow.after(step) if action == "continue" else (None if action == "end" else action)
        return self._record_done(conn, step, ctx, {**state, "timed_out": True}, following, "succeeded")

    # -- failures -----------------------------------------------------------------------------------

    def _retry_or_fail(self, run: dict[str, Any], step: Step, exc: HubError, now: datetime) -> Outcome:
        with self.engine.begin() as conn:
            attempts = save_step(conn, run["id"], step.id, kind=step.kind, status="retrying", now=now,
                                 error=f"{exc.code}: {exc.message}", attempt=True)
            if attempts < step.retry.attempts:
                wait = getattr(exc, "retry_after", None) or step.retry.delay(attempts)
                queue_step(conn, run["id"], step.id, at=now + timedelta(seconds=float(wait)))
                log.warning("flow run %s step %s attempt %d: %s; again in %.0f s", run["id"], step.id, attempts,
                            exc.message, wait)
                return Outcome("retrying", step.id)
        return self._failed(run, step, exc.code, f"{exc.message} (after {attempts} attempts)", now, attempt=False)

    def _failed(self, run: dict[str, Any], step: Step, code: str, message: str, now: datetime, *,
                attempt: bool = True) -> Outcome:
        with self.engine.begin() as conn:
            save_step(conn, run["id"], step.id, kind=step.kind, status="failed", now=now, error=f"{code}: {message}",
                      attempt=attempt, finished=True)
            fail_run(conn, run["id"], step.id, {"step": step.id, "code": code, "message": message}, now=now)
        log.warning("flow run %s failed at step %s: %s", run["id"], step.id, message)
        return Outcome("failed", step.id)


def flow_handler(engine: Engine, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
                 flows: FlowCache | None = None, clock: Callable[[], datetime] = utcnow) -> Handler:
    """The worker's handler for ``flow.step`` jobs."""
    return FlowRunner(engine, settings, flows=flows, transport=transport, clock=clock).handle
