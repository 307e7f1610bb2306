"""kopf wiring: login from our kubeconfig, one daemon per KubeSage object, and kopf's settings.

kopf keeps its bookkeeping in annotations (`kubesage.dev/...`), not in our status; it runs
standalone (no kopf peering CRDs): the Lease in `leader.py` decides which replica is active.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf

from kubesage.operator import GROUP, KUBESAGE_PLURAL, VERSION
from kubesage.operator.runtime import OperatorOptions, Runtime

log = logging.getLogger("kubesage.operator")


def build_registry(runtime: Runtime) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()

    @kopf.on.startup(registry=registry)
    def _settings(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="kubesage.dev")
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
            prefix="kubesage.dev", key="last-handled-configuration"
        )
        settings.posting.level = logging.WARNING
        settings.watching.server_timeout = runtime.options.watch_timeout

    @kopf.on.login(registry=registry)
    def _login(**_: Any) -> kopf.ConnectionInfo:
        return connection_info(runtime.cluster.api.configuration)

    @kopf.daemon(GROUP, VERSION, KUBESAGE_PLURAL, registry=registry, cancellation_timeout=10.0)
    def _kubesage(stopped: Any, body: Any, namespace: Any, name: Any, **_: Any) -> None:
        runtime.run_kubesage(stopped, body, namespace, name)

    @kopf.on.delete(GROUP, VERSION, KUBESAGE_PLURAL, registry=registry, optional=True)
    def _deleted(namespace: Any, name: Any, **_: Any) -> None:
        runtime.forget(namespace, name)  # its Results go with it (owner references)

    return registry


def connection_info(cfg: Any) -> kopf.ConnectionInfo:
    """kopf's credentials from the kubernetes client's Configuration (token or client certificate)."""
    token = ""
    auth = (cfg.api_key or {}).get("authorization") or (cfg.api_key or {}).get("BearerToken") or ""
    if auth:
        token = auth.split(" ", 1)[1] if auth.lower().startswith("bearer ") else auth
    return kopf.ConnectionInfo(
        server=str(cfg.host),
        ca_path=cfg.ssl_ca_cert or None,
        insecure=not cfg.verify_ssl,
        token=token or None,
        certificate_path=cfg.cert_file or None,
        private_key_path=cfg.key_file or None,
        scheme="Bearer" if token else None,
    )


def run(options: OperatorOptions) -> None:
    """Run the operator until SIGINT/SIGTERM."""
    fmt = kopf.LogFormat.JSON if options.log_format == "json" else kopf.LogFormat.PLAIN
    kopf.configure(verbose=options.verbose, log_format=fmt)
    # httpx logs each request with its URL at INFO; sink URLs are credentials.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    runtime = Runtime(options)
    runtime.start()
    log.info(
        "kubesage operator started: namespaces=%s leader-election=%s",
        ",".join(options.namespaces) or "all",
        options.leader_elect,
    )
    try:
        kopf.run(
            registry=build_registry(runtime),
            standalone=True,
            clusterwide=not options.namespaces,
            namespaces=options.namespaces,
        )
    finally:
        runtime.stop()
