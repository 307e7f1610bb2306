"""A bounded pool of worker processes for the CPU-bound part of a request (retrieval, composing answers).

Why processes: Python's regex engine holds the GIL for a whole match, so a pathological input in a
worker *thread* would still freeze the event loop, and a thread cannot be stopped. A worker process
can: when a request passes its deadline the worker is killed (504) and a fresh one takes its place,
while the event loop keeps answering /healthz. When every worker is busy and the queue is full, new
requests get 503 at once instead of piling up.

Workers come from a forkserver that has already imported the answering code, so replacing one costs
a fork plus loading the knowledge base, not a Python start-up.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesage.errors import KubesageError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from kubesage.server.state import ServerSettings

log = logging.getLogger("kubesage.server")
START_TIMEOUT = 120.0


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
class _Worker:
    process: Any
    conn: Connection


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
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drains: set[asyncio.Task[None]] = set()
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
                self._idle.put_nowait(worker)
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
            if self._closed or self._loop is None:
                self._kill(worker)
            else:
                try:
                    self._loop.call_soon_threadsafe(self._idle.put_nowait, worker)
                except RuntimeError:  # the loop has closed: shutting down
                    self._kill(worker)

        self.replaced += 1
        threading.Thread(target=run, daemon=True, name="kubesage-respawn").start()

    def _kill(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
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
        """Run `op` in a worker; raises PoolBusy, PoolTimeout or WorkerFailed. All on the event loop:
        the reply is awaited with the loop's reader on the worker's pipe, no thread in between."""
        if self._pending >= self.capacity:
            raise PoolBusy(f"all {self.size} workers are busy and {self.capacity - self.size} requests wait")
        self._pending += 1
        loop = self._loop = asyncio.get_running_loop()
        end = loop.time() + self.deadline
        try:
            try:
                worker = self._idle.get_nowait()
            except asyncio.QueueEmpty:
                try:
                    async with asyncio.timeout(self.deadline):
                        worker = await self._idle.get()
                except TimeoutError:
                    raise PoolBusy(f"no worker became free within {self.deadline:g} s") from None
            try:
                worker.conn.send((op, payload))
                await self._readable(worker, end)
                reply = worker.conn.recv()
            except TimeoutError:  # before OSError, its base class
                self._kill(worker)
                self._replace()
                raise PoolTimeout(f"the answer took longer than the {self.deadline:g} s deadline") from None
            except (EOFError, OSError):
                self._kill(worker)
                self._replace()
                raise WorkerFailed("error", "the worker answering this request exited; it has been replaced") from None
            except asyncio.CancelledError:  # the caller gave up; the worker still owes its reply
                task = loop.create_task(self._drain(worker, end))
                self._drains.add(task)
                task.add_done_callback(self._drains.discard)
                raise
            self._idle.put_nowait(worker)
        finally:
            self._pending -= 1
        kind, value = reply
        if kind == "ok":
            return value
        message, status = value
        raise WorkerFailed(kind, message, status)

    async def _readable(self, worker: _Worker, end: float) -> None:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        fd = worker.conn.fileno()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, wake)
        try:
            async with asyncio.timeout_at(end):
                await ready
        finally:
            loop.remove_reader(fd)

    async def _drain(self, worker: _Worker, end: float) -> None:
        try:
            await self._readable(worker, end)
            worker.conn.recv()
        except (EOFError, OSError):  # TimeoutError included
            self._kill(worker)
            self._replace()
            return
        self._idle.put_nowait(worker)
