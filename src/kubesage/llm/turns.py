"""Chat history helpers: role/content messages, or one flat prompt for completion-style APIs."""

from __future__ import annotations

from kubesage.llm.base import CompletionRequest


def chat_messages(request: CompletionRequest, system: bool = True) -> list[dict[str, str]]:
    """The system instruction (unless `system=False`: Anthropic takes it apart), earlier turns,
    then the prompt, as `[{"role", "content"}]`."""
    msgs = [{"role": "system", "content": request.system}] if system and request.system else []
    msgs += [{"role": role, "content": content} for role, content in request.history]
    msgs.append({"role": "user", "content": request.prompt})
    return msgs


def flat_prompt(request: CompletionRequest) -> str:
    """The prompt alone, or a `User:`/`Assistant:` transcript when there is history."""
    if not request.history:
        return request.prompt
    lines = [f"{'Assistant' if role == 'assistant' else 'User'}: {content}" for role, content in request.history]
    lines.append(f"User: {request.prompt}")
    lines.append("Assistant:")
    return "\n\n".join(lines)
