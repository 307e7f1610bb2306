"""Leader election on a `coordination.k8s.io` Lease, with the client library's LeaderElection.

Every replica keeps its watches warm; only the lease holder analyses, writes and notifies.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from typing import Any

log = logging.getLogger("kubesage.operator")


def default_identity() -> str:
    return f"{os.environ.get('POD_NAME') or socket.gethostname()}-{uuid.uuid4().hex[:8]}"


class LeaderElector:
    def __init__(
        self,
        api_client: Any,
        name: str,
        namespace: str,
        identity: str = "",
        *,
        lease_duration: int = 15,
        renew_deadline: int = 10,
        retry_period: int = 2,
    ) -> None:
        self.api_client = api_client
        self.name, self.namespace = name, namespace
        self.identity = identity or default_identity()
        self.lease_duration, self.renew_deadline, self.retry_period = lease_duration, renew_deadline, retry_period
        self._leading = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # The library logs every renewal at INFO.
        logging.getLogger("leaderelection").setLevel(logging.WARNING)

    @property
    def is_leader(self) -> bool:
        return self._leading.is_set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="kubesage-leader", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        from kubernetes import client
        from kubernetes.leaderelection import electionconfig as _config
        from kubernetes.leaderelection import leaderelection as _election
        from kubernetes.leaderelection.resourcelock import leaselock as _lease

        # The leader-election modules are untyped.
        electionconfig: Any = _config
        leaderelection: Any = _election
        LeaseLock: Any = _lease.LeaseLock

        while True:
            lock = LeaseLock(self.name, self.namespace, self.identity)
            lock.api_instance = client.CoordinationV1Api(self.api_client)
            lock = _Stoppable(lock, self._stopping)
            config = electionconfig.Config(
                lock,
                lease_duration=self.lease_duration,
                renew_deadline=self.renew_deadline,
                retry_period=self.retry_period,
                onstarted_leading=self._started,
                onstopped_leading=self._stopped,
            )
            try:
                leaderelection.LeaderElection(config).run()
            except Exception as err:  # an API hiccup: stand down, then try again
                log.warning("leader election: %s", err)
                self._stopped()
            if self._stopping.wait(self.retry_period):
                return

    def stop(self) -> None:
        """Stop renewing and hand the lease over at once (as client-go's ReleaseOnCancel)."""
        self._stopping.set()
        was_leader = self._leading.is_set()
        self._leading.clear()
        if not was_leader:
            return
        from kubernetes import client

        api = client.CoordinationV1Api(self.api_client)
        try:
            lease = api.read_namespaced_lease(self.name, self.namespace)
            if lease.spec is not None and lease.spec.holder_identity == self.identity:
                lease.spec.holder_identity = None
                lease.spec.lease_duration_seconds = 1
                api.replace_namespaced_lease(self.name, self.namespace, lease)  # update: the Role has no patch
        except Exception as err:  # the lease then expires by itself
            reason = f"{getattr(err, 'status', '')} {getattr(err, 'reason', '')}".strip() or str(err)
            log.info("leader election: release of %s/%s failed: %s", self.namespace, self.name, reason)

    def _started(self) -> None:
        log.info("leader election: %s holds lease %s/%s", self.identity, self.namespace, self.name)
        self._leading.set()

    def _stopped(self) -> None:
        if self._leading.is_set():
            log.warning("leader election: %s lost lease %s/%s", self.identity, self.namespace, self.name)
        self._leading.clear()


class _Stoppable:
    """A resource lock that refuses to create or renew once the operator is stopping."""

    def __init__(self, lock: Any, stopping: threading.Event) -> None:
        self._lock, self._stopping = lock, stopping
        self.name, self.namespace, self.identity = lock.name, lock.namespace, lock.identity

    def get(self, name: str, namespace: str) -> Any:
        return self._lock.get(name, namespace)

    def create(self, name: str, namespace: str, election_record: Any) -> Any:
        return False if self._stopping.is_set() else self._lock.create(name, namespace, election_record)

    def update(self, name: str, namespace: str, updated_record: Any) -> Any:
        return False if self._stopping.is_set() else self._lock.update(name, namespace, updated_record)
