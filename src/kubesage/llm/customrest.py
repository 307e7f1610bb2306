"""`customrest`: k8sgpt's plain HTTP JSON protocol, byte for byte (see docs/compat.md).

`POST <baseurl>` as-is, body `{"model","prompt","options":{language,message,temperature,top_k,top_p}}`
in Go's encoding; answer `{"model","created_at","response"}`. Unlike k8sgpt, chat turns work too:
the question goes in `options.message` and the transcript in `prompt`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from kubesage.gojson import GoMap, go_marshal
from kubesage.llm.base import Completion, CompletionRequest, LLMError
from kubesage.llm.http import post_json
from kubesage.llm.turns import flat_prompt

if TYPE_CHECKING:
    from kubesage.config import Config, ProviderConfig

DEFAULT_URL = "http://localhost:11434"
DEFAULT_MODEL = "llama3"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def request_body(
    model: str, prompt: str, language: str, message: str, temperature: float, top_k: int, top_p: float
) -> bytes:
    """The exact bytes k8sgpt sends (Go struct order; `options` is a map, so its keys sort)."""
    options = GoMap(
        language=language, message=message, temperature=float(temperature), top_k=int(top_k), top_p=float(top_p)
    )
    return go_marshal({"model": model, "prompt": prompt, "options": options}).encode()


def parse_answer(data: object) -> str:
    if not isinstance(data, dict):
        raise LLMError("customrest: the answer is not a JSON object {model, created_at, response}")
    created = data.get("created_at")
    if created is not None:
        ok = isinstance(created, str) and bool(_RFC3339.match(created))
        if ok:
            try:
                datetime.fromisoformat(str(created).replace("Z", "+00:00"))
            except ValueError:
                ok = False
        if not ok:
            raise LLMError(f"customrest: created_at {created!r} is not an RFC 3339 time")
    response = data.get("response", "")
    if not isinstance(response, str):
        raise LLMError("customrest: `response` must be a string")
    return response


class CustomRestBackend:
    name = "customrest"

    def __init__(self, provider: ProviderConfig) -> None:
        import httpx

        self.provider = provider
        self.model = provider.model or DEFAULT_MODEL
        self.url = provider.baseurl or DEFAULT_URL
        key = provider.api_key()
        self._headers = {"Content-Type": "application/json", "Accept": "application/x-ndjson"}
        if key:
            self._headers["Authorization"] = f"Bearer {key}"
        self._secrets = [key]
        self._client = httpx.Client(proxy=provider.proxy_endpoint or None, trust_env=not provider.proxy_endpoint)

    @classmethod
    def from_config(cls, provider: ProviderConfig | None, config: Config) -> CustomRestBackend:
        from kubesage.config import ProviderConfig

        return cls(provider or ProviderConfig(name="customrest"))

    def complete(self, request: CompletionRequest) -> Completion:
        p = self.provider
        body = request_body(
            self.model,
            flat_prompt(request),
            request.language,
            request.message,
            p.temperature,
            p.topk,
            p.topp,
        )
        data = post_json(
            self._client,
            self.name,
            self.url,
            content=body,
            headers=self._headers,
            model=self.model,
            timeout=p.timeout,
            secrets=self._secrets,
            error_text=True,
        )
        return Completion(text=parse_answer(data))
