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
        self._thread: threading.Thread | None = None

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
            threading.Event().wait(self.retry_period)

    def _started(self) -> None:
        log.info("leader election: %s holds lease %s/%s", self.identity, self.namespace, self.name)
        self._leading.set()

    def _stopped(self) -> None:
        if self._leading.is_set():
            log.warning("leader election: %s lost lease %s/%s", self.identity, self.namespace, self.name)
        self._leading.clear()
