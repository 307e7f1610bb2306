"""The coordinator: each step runs with the least-privileged agent that can do it.

It holds one identity that may only create TokenRequests for the four agent
ServiceAccounts, and mints a short-lived (10 min) bound token per agent. Each step gets
a client that carries only that agent's token: a read cannot write, a scale cannot
patch a Service, a fixer cannot read a Secret, and the API server's authorizer - not
kubesage - is what says no.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kubesage.agents.client import Kube, KubeError
from kubesage.errors import KubesageError

STEP_AGENT = {
    "read": "reader",
    "scale": "scaler",
    "patch": "fixer",
    "delete": "fixer",
    "record": "recorder",
}
TOKEN_SECONDS = 600
_RENEW_BEFORE = 60


def agent_for(step: str) -> str:
    try:
        return STEP_AGENT[step]
    except KeyError:
        raise KubesageError(f"no agent may perform step {step!r}") from None


@dataclass
class AgentNames:
    namespace: str = "kubesage"
    prefix: str = "kubesage-agent-"

    def service_account(self, agent: str) -> str:
        return f"{self.prefix}{agent}"


class Credentials:
    """Where a step's client comes from; `Coordinator` mints agent tokens, `Direct` uses one client."""

    def kube(self, step: str) -> Kube:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass


@dataclass
class Direct(Credentials):
    """Every step with one client (the CLI's `--no-agents`: your own kubeconfig's rights)."""

    client: Kube

    def kube(self, step: str) -> Kube:
        agent_for(step)
        return self.client


@dataclass
class Coordinator(Credentials):
    """Agent tokens from the TokenRequest API, minted with `base` (the coordinator's identity)."""

    base: Any
    """A configured kubernetes.client.ApiClient."""
    names: AgentNames = field(default_factory=AgentNames)
    seconds: int = TOKEN_SECONDS
    _cache: dict[str, tuple[Kube, float]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def kube(self, step: str) -> Kube:
        return self.agent(agent_for(step))

    def agent(self, agent: str) -> Kube:
        with self._lock:
            cached = self._cache.get(agent)
            if cached and cached[1] - _RENEW_BEFORE > time.time():
                return cached[0]
            token, expires = self._token(agent)
            kube = Kube(self._client(token), who=f"agent {agent}")
            if cached:
                cached[0].close()
            self._cache[agent] = (kube, expires)
            return kube

    def _token(self, agent: str) -> tuple[str, float]:
        sa = self.names.service_account(agent)
        path = f"/api/v1/namespaces/{self.names.namespace}/serviceaccounts/{sa}/token"
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": self.seconds},
        }
        try:
            out = Kube(self.base, who="coordinator").create(path, body)
        except KubeError as err:
            if err.status == 404:
                raise KubesageError(
                    f"agent ServiceAccount {self.names.namespace}/{sa} not found: install the chart with agents "
                    "enabled, or use --no-agents to act with your own credentials"
                ) from None
            raise
        token = str(((out or {}).get("status") or {}).get("token") or "")
        if not token:
            raise KubesageError(f"TokenRequest for {sa} returned no token")
        return token, time.time() + self.seconds

    def _client(self, token: str) -> Any:
        from kubernetes import client

        base_cfg = self.base.configuration
        cfg = client.Configuration()
        cfg.host = base_cfg.host
        cfg.ssl_ca_cert = base_cfg.ssl_ca_cert
        cfg.verify_ssl = base_cfg.verify_ssl
        cfg.assert_hostname = getattr(base_cfg, "assert_hostname", None)
        cfg.tls_server_name = getattr(base_cfg, "tls_server_name", None)
        cfg.retries = copy.copy(getattr(base_cfg, "retries", None))
        cfg.api_key = {"authorization": f"Bearer {token}"}
        return client.ApiClient(configuration=cfg)

    def close(self) -> None:
        with self._lock:
            for kube, _ in self._cache.values():
                kube.close()
            self._cache.clear()
