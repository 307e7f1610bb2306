"""Token counts for `usage` and `max_tokens`: a documented estimate, not a model's tokenizer.

kubesage's own answers come from no model, so there is no true tokenizer to ask. The estimate follows
the usual rule for BPE tokenizers: one token per CJK character, one per four other characters
(rounded up, per run of text between CJK characters), and 3 tokens of framing per chat message plus
3 for the reply, as OpenAI counts chat prompts.
"""

from __future__ import annotations

import math

MESSAGE_OVERHEAD = 3
REPLY_OVERHEAD = 3


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3000 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF


def count(text: str) -> int:
    tokens = 0
    run = 0
    for ch in text:
        if _is_cjk(ch):
            tokens += 1 + math.ceil(run / 4)
            run = 0
        else:
            run += 1
    return tokens + math.ceil(run / 4)


def count_messages(texts: list[str]) -> int:
    return sum(count(t) + MESSAGE_OVERHEAD for t in texts) + REPLY_OVERHEAD


def truncate(text: str, max_tokens: int) -> tuple[str, bool]:
    """The longest prefix of `text` whose estimate is at most `max_tokens`, cut after whitespace when
    one is near; and whether anything was cut."""
    if count(text) <= max_tokens:
        return text, False
    lo, hi = 0, len(text)
    while lo < hi:  # binary search on the prefix length (count is monotonic in it)
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= max_tokens:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > lo * 0.8:
        cut = cut[:space]
    return cut.rstrip(), True
