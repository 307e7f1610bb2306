"""`--explain`: group results by signature, one LLM call per signature, in parallel, cached.

1. Every result's failure texts are masked with the run's token map and signed (masked,
   name-normalised), so 200 pods with the same ImagePullBackOff form one group.
2. Each group is looked up in the answer cache; misses are sent once (the first result's
   texts: masked with `--anonymize`, clear otherwise), with retries, `max_concurrency` at a time.
3. The answer is stored masked and fanned out to every result of the group, re-targeted at
   that result's own names, then de-masked into `Result.details`.
A call that finally fails leaves its results with the error noted; Ctrl-C keeps what is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kubesage.explain.anonymize import Anonymizer
from kubesage.explain.cache import AnswerCache, CachedAnswer, cache_key
from kubesage.explain.interactive import ChatSession
from kubesage.explain.prompts import fill, template_for
from kubesage.explain.retry import Gate, RetryPolicy, call_with_retry
from kubesage.explain.signature import Signer, retarget
from kubesage.llm.base import Backend, CompletionRequest, LLMError
from kubesage.redact import redact
from kubesage.results import Analysis, Result
from kubesage.untrusted import DATA_INSTRUCTION, looks_like_injection, neutralize

if TYPE_CHECKING:
    from kubesage.cluster.snapshot import ClusterSnapshot
    from kubesage.config import Config

FAILED_PREFIX = "kubesage: explanation failed: "
INTERRUPTED = "kubesage: explanation interrupted before an answer arrived"


@dataclass
class ExplainOptions:
    backend: str = ""
    anonymize: bool = False
    no_cache: bool = False
    language: str = "english"
    max_concurrency: int = 10
    progress: bool = False
    max_attempts: int = 4
    timeout: float | None = None
    """Per-call timeout in seconds (default: the provider's `timeout`)."""
    base_delay: float = 0.5
    max_delay: float = 20.0


@dataclass
class ExplainOutcome:
    provider: str
    groups: int = 0
    calls: int = 0
    """Groups sent to the backend (cache misses)."""
    attempts: int = 0
    """Requests sent, retries included."""
    cache_hits: int = 0
    failed: int = 0
    """Calls that finally failed or were interrupted."""
    interrupted: bool = False
    session: ChatSession | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Group:
    key: str
    kind: str
    template: str
    rep: Result
    rep_masked: list[str]
    rep_spans: tuple[str, ...]
    members: list[tuple[Result, tuple[str, ...]]] = field(default_factory=list)


def load_backend_for(config: Config, options: ExplainOptions) -> Backend:
    from kubesage.llm import registry

    info, provider = registry.resolve(config, options.backend)
    if provider is not None and options.timeout:
        provider = provider.model_copy(update={"timeout": options.timeout})
    return registry.create(info, provider, config)


def explain_analysis(
    analysis: Analysis,
    snapshot: ClusterSnapshot | None,
    config: Config,
    options: ExplainOptions,
    backend: Backend | None = None,
    cache: AnswerCache | None = None,
) -> ExplainOutcome:
    if backend is None:
        backend = load_backend_for(config, options)
    analysis.explain = True
    analysis.provider = backend.name
    outcome = ExplainOutcome(provider=backend.name)
    anon = Anonymizer.from_snapshot(snapshot, analysis.results)
    policy = RetryPolicy(options.max_attempts, options.base_delay, options.max_delay)
    outcome.session = ChatSession(backend, anon, options.anonymize, options.language, policy)

    # Local output: the real name (only what is sent to the model is masked).
    outcome.warnings.extend(
        f"{r.kind} {r.name}: failure text reads like instructions "
        "to a model (possible prompt injection); sent fenced as data"
        for r in analysis.results
        if any(looks_like_injection(t) for t in r.texts)
    )
    store = None if options.no_cache else (cache or AnswerCache())
    calls = _Calls(backend, anon, options, policy, store, outcome)
    hits: list[tuple[_Group, CachedAnswer]] = []
    try:
        # A group's call starts as soon as its first result is seen; later members join it.
        for g in _groups(analysis.results, anon, config, backend, options.language):
            outcome.groups += 1
            hit = store.get(g.key) if store else None
            if hit is not None and len(hit.spans) == len(g.rep_spans):
                hits.append((g, hit))
            else:
                calls.submit(g)
    except BaseException:
        calls.abandon()
        raise
    for g, hit in hits:
        _fan_out(g, hit.answer, hit.spans, anon)
    outcome.cache_hits = len(hits)
    calls.finish()
    if store is not None:
        outcome.warnings.extend(store.warnings)
    analysis.errors.extend(f"[explain] {w}" for w in outcome.warnings)
    return outcome


def _groups(
    results: list[Result], anon: Anonymizer, config: Config, backend: Backend, language: str
) -> Iterator[_Group]:
    """Each new group when first seen; members keep being added until the iteration ends."""
    signer = Signer(anon.prefixes)
    groups: dict[str, _Group] = {}
    for r in results:
        if not r.error:
            continue
        masked = [anon.mask(t) for t in r.texts]
        template = template_for(r.kind, config.prompts)
        sig = signer.sign(r.kind, masked)
        # A backend whose answers depend on more than its model (kb: the KB generation) says so.
        version = getattr(backend, "cache_version", "")
        model = f"{backend.model}@{version}" if version else backend.model
        key = cache_key(backend.name, model, template, language, sig.text)
        g = groups.get(key)
        if g is None:
            g = groups[key] = _Group(key, r.kind, template, r, masked, sig.spans)
            g.members.append((r, sig.spans))
            yield g
        else:
            g.members.append((r, sig.spans))


def _fan_out(group: _Group, masked_answer: str, spans: tuple[str, ...], anon: Anonymizer) -> None:
    for result, own in group.members:
        result.details = redact(anon.demask(retarget(masked_answer, spans, own)))


def _fail(group: _Group, message: str) -> None:
    for result, _ in group.members:
        result.details = redact(message)


def _request(group: _Group, options: ExplainOptions) -> CompletionRequest:
    texts = group.rep_masked if options.anonymize else group.rep.texts
    joined = " ".join(neutralize(t) for t in texts)  # cluster text is data, never instructions
    return CompletionRequest(
        prompt=fill(group.template, options.language, joined),
        language=options.language,
        message=joined,
        kind=group.kind,
        system=DATA_INSTRUCTION,  # the k8sgpt prompt itself stays byte-identical
    )


class _Calls:
    """The LLM calls of one run: submitted while grouping, harvested in the main thread."""

    def __init__(
        self,
        backend: Backend,
        anon: Anonymizer,
        options: ExplainOptions,
        policy: RetryPolicy,
        store: AnswerCache | None,
        outcome: ExplainOutcome,
    ) -> None:
        self.backend, self.anon, self.options, self.policy = backend, anon, options, policy
        self.store, self.outcome = store, outcome
        self.gate = Gate()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.futures: dict[Future[str], _Group] = {}
        self.done: set[int] = set()

    def _call(self, g: _Group) -> str:
        request = _request(g, self.options)
        return call_with_retry(self.backend, request, self.policy, self.gate, on_attempt=self._count).text

    def _count(self) -> None:
        with self._lock:
            self.outcome.attempts += 1

    def submit(self, g: _Group) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=max(1, self.options.max_concurrency))
        self.futures[self._pool.submit(self._call, g)] = g
        self.outcome.calls += 1

    def abandon(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _harvest(self, fut: Future[str]) -> None:
        g = self.futures[fut]
        try:
            text = fut.result()
        except LLMError as err:
            _fail(g, FAILED_PREFIX + _one_line(str(err)))
            self.outcome.failed += 1
        except Exception as err:  # a backend bug must not lose the other answers
            _fail(g, FAILED_PREFIX + _one_line(f"{type(err).__name__}: {err}"))
            self.outcome.failed += 1
        else:
            masked = text if self.options.anonymize else self.anon.mask(text)
            if self.store is not None:
                self.store.put(g.key, CachedAnswer(masked, g.rep_spans, self.backend.name, self.backend.model))
            _fan_out(g, masked, g.rep_spans, self.anon)
        self.done.add(id(g))

    def finish(self) -> None:
        """Wait for every call; on Ctrl-C keep the answers that arrived and mark the rest."""
        if not self.futures:
            return
        advance, stop_progress = _progress(len(self.futures), self.backend.name, self.options.progress)
        interrupted = False
        try:
            remaining = set(self.futures)
            while remaining:
                # A timed wait keeps the main thread responsive to Ctrl-C.
                finished, remaining = wait(remaining, timeout=0.2, return_when="FIRST_COMPLETED")
                stop = False
                for fut in finished:
                    if _interrupted_in_worker(fut):
                        stop = True
                    else:
                        self._harvest(fut)
                        advance()
                if stop:
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            interrupted = self.outcome.interrupted = True
            for fut, g in self.futures.items():
                if id(g) not in self.done and fut.done() and not fut.cancelled() and not _interrupted_in_worker(fut):
                    self._harvest(fut)
            for g in self.futures.values():
                if id(g) not in self.done:
                    _fail(g, INTERRUPTED)
                    self.outcome.failed += 1
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=not interrupted, cancel_futures=True)
            stop_progress()


def _interrupted_in_worker(fut: Future[str]) -> bool:
    return fut.done() and not fut.cancelled() and isinstance(fut.exception(), KeyboardInterrupt)


def _one_line(text: str) -> str:
    return " ".join(redact(text).split()) or "unknown error"


def _progress(total: int, name: str, enabled: bool) -> tuple[Callable[[], None], Callable[[], None]]:
    """(advance, stop) for a rich progress bar on stderr; no-ops when disabled or not a terminal."""
    if not enabled:
        return (lambda: None), (lambda: None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        return (lambda: None), (lambda: None)
    progress = Progress(
        TextColumn(f"Explaining with {name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task("explain", total=total)
    progress.start()
    return (lambda: progress.advance(task)), progress.stop
