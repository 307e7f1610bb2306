"""A small REST client over the official `kubernetes` ApiClient, for one set of credentials.

Remediation needs raw verbs the typed APIs make awkward (server-side apply, JSON patch
with tests, dry-run, delete preconditions); this keeps them in one place with one error type.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kubesage.errors import KubesageError

FIELD_MANAGER = "kubesage"
APPLY = "application/apply-patch+yaml"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"


class KubeError(KubesageError):
    """An API call failed; `status` is the HTTP status (0 for transport errors)."""

    def __init__(self, message: str, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason

    @property
    def forbidden(self) -> bool:
        return self.status == 403

    @property
    def conflict(self) -> bool:
        """409 Conflict, or 422 from a failed JSON-patch `test` op: the object changed."""
        return self.status == 409 or (self.status == 422 and "test operation" in self.message.lower())


class Kube:
    """REST calls as one identity (`who` names it in errors and records)."""

    def __init__(self, api_client: Any, who: str = "user") -> None:
        self.api = api_client
        self.who = who

    def close(self) -> None:
        self.api.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        content_type: str = "application/json",
        timeout: float = 30.0,
    ) -> Any:
        import urllib3.exceptions
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        try:
            method_, url, hdrs, payload, post = self.api.param_serialize(
                method=method,
                resource_path=path,
                query_params=list(query),
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            resp = self.api.call_api(method_, url, hdrs, payload, post, _request_timeout=timeout)
            data = resp.read()
        except ApiException as err:
            status = int(err.status or 0)
            raise KubeError(
                f"{method} {path} as {self.who}: {status} {_message(err.body) or err.reason}",
                status,
                str(err.reason or ""),
            ) from None
        except (urllib3.exceptions.HTTPError, OSError) as err:
            raise KubeError(f"{method} {path} as {self.who}: {err}") from None
        status = int(resp.status)
        if status >= 400:
            raise KubeError(f"{method} {path} as {self.who}: {status} {_message(data)}", status)
        return json.loads(data) if data else None

    def get(self, path: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        try:
            out = self.request("GET", path)
        except KubeError as err:
            if err.status == 404:
                return None
            raise
        return out if isinstance(out, dict) else None

    def apply(self, path: str, body: dict[str, Any], *, dry_run: bool = False, force: bool = True) -> Any:
        """Server-side apply under the `kubesage` field manager."""
        query = [("fieldManager", FIELD_MANAGER), ("force", "true" if force else "false")]
        if dry_run:
            query.append(("dryRun", "All"))
        return self.request("PATCH", path, query=query, body=body, content_type=APPLY)

    def json_patch(self, path: str, ops: list[Any], *, dry_run: bool = False) -> Any:
        query = [("fieldManager", FIELD_MANAGER)]
        if dry_run:
            query.append(("dryRun", "All"))
        return self.request("PATCH", path, query=query, body=ops, content_type=JSON_PATCH)

    def delete(self, path: str, *, uid: str = "", resource_version: str = "", dry_run: bool = False) -> Any:
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        pre = {k: v for k, v in (("uid", uid), ("resourceVersion", resource_version)) if v}
        if pre:
            body["preconditions"] = pre
        if dry_run:
            body["dryRun"] = ["All"]
        return self.request("DELETE", path, body=body)

    def create(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, query=[("fieldManager", FIELD_MANAGER)], body=body)

    def merge_patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("PATCH", path, query=[("fieldManager", FIELD_MANAGER)], body=body, content_type=MERGE_PATCH)


def _message(body: Any) -> str:
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    try:
        data = json.loads(body) if isinstance(body, str) and body.strip().startswith("{") else None
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"]).splitlines()[0][:500]
    return str(body or "").strip().splitlines()[0][:500] if body else ""
