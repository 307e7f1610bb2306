"""A bounded pool of worker processes for the CPU-bound part of a request (retrieval, composing answers).

Why processes: Python's regex engine holds the GIL for a whole match, so a pathological input in a
worker *thread* would still freeze the event loop, and a thread cannot be stopped. A worker process
can: when a request passes its deadline the worker is killed (504) and a fresh one takes its place,
while the event loop keeps answering /healthz. When every worker is busy and the queue is full, new
requests get 503 at once instead of piling up.

Each worker has up to DEPTH requests queued in its pipe, so it goes from one answer to the next
without waiting for the event loop to hand it work; replies come back in order and are read by a
reader callback on the loop. A request that passes its deadline while its worker is on it gets 504
and the worker is replaced (the requests queued behind it move to other workers); one that passes
its deadline still waiting gets 503.

Workers come from a forkserver that has already imported the answering code, so replacing one costs
a fork plus loading the knowledge base, not a Python start-up.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubesage.errors import KubesageError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from kubesage.server.state import ServerSettings

log = logging.getLogger("kubesage.server")
START_TIMEOUT = 120.0
DEPTH = 2
"""Requests queued per worker (the one it is on, and the next)."""


class PoolBusy(Exception):
    """Every worker is busy and the queue is full (or the wait ran past the deadline): 503."""


class PoolTimeout(Exception):
    """The worker passed the request's deadline and was replaced: 504."""


class WorkerFailed(Exception):
    """The worker raised; `kind` is "llm" (upstream failure) or "error". `status` is the upstream's."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


@dataclass(eq=False)
class _Job:
    op: str
    payload: tuple[Any, ...]
    future: asyncio.Future[Any]
    end: float
    """Event-loop time of the deadline."""
    worker: _Worker | None = None
    abandoned: bool = False
    """Its caller gave up: the reply, when it comes, is dropped."""


@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Connection
    inflight: collections.deque[_Job] = field(default_factory=collections.deque)
    attached: bool = False


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["kubesage.server.worker"])
    return ctx


class WorkerPool:
    def __init__(self, settings: ServerSettings, size: int, queue_size: int, deadline: float) -> None:
        self.settings = settings
        self.size = max(1, size)
        self.capacity = self.size + max(0, queue_size)
        self.deadline = deadline
        self._ctx = _context()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: list[_Worker] = []
        """Ready workers (touched only on the event loop once it runs)."""
        self._waiting: collections.deque[_Job] = collections.deque()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._pending = 0
        self._closed = False
        self.replaced = 0
        """Workers killed at their deadline or lost, and replaced."""

    # ------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Start every worker and wait until each has loaded the knowledge base."""
        workers = [self._spawn() for _ in range(self.size)]
        try:
            for worker in workers:
                self._await_ready(worker)
                self._workers.append(worker)
        except BaseException:
            self.close()
            raise

    def _spawn(self) -> _Worker:
        from kubesage.server.worker import serve_forever

        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=serve_forever, args=(child, self.settings), daemon=True,
                                    name="kubesage-worker")  # fmt: skip
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._all.add(worker)
        return worker

    def _await_ready(self, worker: _Worker) -> None:
        if not worker.conn.poll(START_TIMEOUT):
            self._kill(worker)
            raise KubesageError(f"server worker did not start within {START_TIMEOUT:.0f} s")
        try:
            kind, payload = worker.conn.recv()
        except EOFError:
            self._kill(worker)
            raise KubesageError("server worker exited while starting") from None
        if kind != "ready":
            self._kill(worker)
            raise KubesageError(str(payload))

    def _replace(self) -> None:
        """Start a worker in the background to take a lost one's place."""

        def run() -> None:
            if self._closed:
                return
            worker = self._spawn()
            try:
                self._await_ready(worker)
            except KubesageError as err:
                if not self._closed:  # at shutdown, close() stopped it on purpose
                    log.error("kubesage: replacing a worker failed: %s", err)
                return
            loop = self._loop
            if self._closed or loop is None:
                self._kill(worker)
                return
            try:
                loop.call_soon_threadsafe(self._join, worker)
            except RuntimeError:  # the loop has closed: shutting down
                self._kill(worker)

        self.replaced += 1
        threading.Thread(target=run, daemon=True, name="kubesage-respawn").start()

    def _join(self, worker: _Worker) -> None:
        """On the loop: a ready worker starts taking requests."""
        if self._closed:
            self._kill(worker)
            return
        self._workers.append(worker)
        self._attach(worker)
        self._dispatch()

    def _attach(self, worker: _Worker) -> None:
        if not worker.attached and self._loop is not None:
            self._loop.add_reader(worker.conn.fileno(), self._on_reply, worker)
            worker.attached = True

    def _kill(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        if worker in self._workers:
            self._workers.remove(worker)
        if worker.attached and self._loop is not None:
            with contextlib.suppress(Exception):  # the loop may be closed at shutdown
                self._loop.remove_reader(worker.conn.fileno())
            worker.attached = False
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            self._kill(worker)

    # ------------------------------------------------------------ requests

    @property
    def pending(self) -> int:
        return self._pending

    async def run(self, op: str, *payload: Any) -> Any:
        """Run `op` in a worker; raises PoolBusy, PoolTimeout or WorkerFailed."""
        if self._pending >= self.capacity:
            raise PoolBusy(f"all {self.size} workers are busy and {self.capacity - self.size} requests wait")
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            for worker in self._workers:
                self._attach(worker)
        job = _Job(op, payload, loop.create_future(), loop.time() + self.deadline)
        self._pending += 1
        try:
            self._waiting.append(job)
            self._dispatch()
            try:
                async with asyncio.timeout_at(job.end):
                    reply = await asyncio.shield(job.future)
            except TimeoutError:
                raise self._late(job) from None
            except asyncio.CancelledError:
                self._abandon(job)
                raise
        finally:
            self._pending -= 1
        kind, value = reply
        if kind == "ok":
            return value
        message, status = value
        raise WorkerFailed(kind, message, status)

    def _dispatch(self) -> None:
        """Hand waiting jobs to the least-loaded workers with room."""
        while self._waiting:
            worker = min(self._workers, key=lambda w: len(w.inflight), default=None)
            if worker is None or len(worker.inflight) >= DEPTH:
                return
            job = self._waiting.popleft()
            if job.abandoned:
                continue
            try:
                worker.conn.send((job.op, job.payload))
            except OSError:
                self._waiting.appendleft(job)
                self._lost(worker)
                continue
            job.worker = worker
            worker.inflight.append(job)

    def _on_reply(self, worker: _Worker) -> None:
        """Reader callback: one reply (or the worker's end) is ready on its pipe."""
        try:
            reply = worker.conn.recv()
        except (EOFError, OSError):
            self._lost(worker)
            return
        if not worker.inflight:
            return
        job = worker.inflight.popleft()
        if not job.abandoned and not job.future.done():
            job.future.set_result(reply)
        self._dispatch()

    def _lost(self, worker: _Worker) -> None:
        """The worker died: its current job fails, the ones queued behind it go to other workers."""
        jobs = list(worker.inflight)
        worker.inflight.clear()
        self._kill(worker)
        self._replace()
        if jobs and not jobs[0].abandoned and not jobs[0].future.done():
            jobs[0].future.set_exception(
                WorkerFailed("error", "the worker answering this request exited; it has been replaced"))
        self._requeue(jobs[1:])

    def _requeue(self, jobs: list[_Job]) -> None:
        for job in reversed(jobs):
            job.worker = None
            if not job.abandoned:
                self._waiting.appendleft(job)
        self._dispatch()

    def _late(self, job: _Job) -> Exception:
        """The deadline passed: 504 if its worker was on it (the worker is replaced), else 503."""
        worker = job.worker
        if worker is not None and worker.inflight and worker.inflight[0] is job:
            self._stop_head(worker)
            return PoolTimeout(f"the answer took longer than the {self.deadline:g} s deadline")
        self._abandon(job)
        return PoolBusy(f"no worker became free within {self.deadline:g} s")

    def _abandon(self, job: _Job) -> None:
        job.abandoned = True
        if job.worker is None:
            with contextlib.suppress(ValueError):
                self._waiting.remove(job)
        elif self._loop is not None:  # its worker may be on it: the deadline still holds
            self._loop.call_at(job.end, self._expire, job)

    def _expire(self, job: _Job) -> None:
        """An abandoned job's deadline: if its worker is still on it, the worker is replaced."""
        worker = job.worker
        if worker is None or worker not in self._workers or job not in worker.inflight:
            return
        if worker.inflight[0] is not job:  # still queued behind another: check again once it could run
            assert self._loop is not None
            self._loop.call_later(self.deadline, self._expire, job)
            return
        self._stop_head(worker)

    def _stop_head(self, worker: _Worker) -> None:
        """Kill a worker stuck on its current job; the jobs queued behind it go to other workers."""
        rest = list(worker.inflight)[1:]
        worker.inflight.clear()
        self._kill(worker)
        self._replace()
        self._requeue(rest)
