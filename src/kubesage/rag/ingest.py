"""Loaders (markdown with front matter, Hugo markdown, HTML, reStructuredText, text) and chunking.

Every loader turns a file into `(meta, blocks)`, where a block is `(level, heading, text)`
(level 0 = text before the first heading). `chunk_blocks` then makes one chunk per section,
keeping the document title, the heading path and the source; long sections are split at
paragraph boundaries.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from kubesage.rag.reasons import canonical
from kubesage.rag.tokenize import cjk_ratio

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".txt": "text",
            ".rst": "rst"}  # fmt: skip
# Repository metadata, not knowledge.
SKIPPED_NAMES = ("readme", "attribution", "license", "contributing", "changelog")
MAX_CHUNK_CHARS = 1500
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""Larger files are skipped: the whole Kubernetes documentation has no page over 1 MB."""
K8S_DOCS_URL = "https://kubernetes.io/docs/"
K8S_DOCS_ATTRIBUTION = "Kubernetes documentation © The Kubernetes Authors, CC BY 4.0"

Block = tuple[int, str, str]


class DocumentError(Exception):
    """A document that cannot be read or parsed; the ingest skips it with a warning."""


@dataclass(frozen=True)
class Collection:
    """Where a set of files came from and how to cite it."""

    root: Path
    prefix: str
    base_url: str = ""
    attribution: str = ""


@dataclass
class Chunk:
    doc_id: str
    title: str
    section: str
    source: str
    text: str
    reasons: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    lang: str = "en"
    order: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "title": self.title, "section": self.section, "source": self.source,
                "text": self.text, "reasons": list(self.reasons), "kinds": list(self.kinds), "lang": self.lang,
                "order": self.order}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chunk:
        return cls(
            doc_id=str(data["doc_id"]), title=str(data["title"]), section=str(data.get("section", "")),
            source=str(data.get("source", "")), text=str(data["text"]), reasons=tuple(data.get("reasons", ())),
            kinds=tuple(data.get("kinds", ())), lang=str(data.get("lang", "en")), order=int(data.get("order", 0)),
        )  # fmt: skip


@dataclass
class Document:
    doc_id: str
    title: str
    source: str
    path: str
    sha256: str
    reasons: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    updated: str = ""
    chunks: list[Chunk] = field(default_factory=list)


# ---------------------------------------------------------------- file discovery


def detect_collection(root: Path, base_url: str = "", attribution: str = "") -> Collection:
    """Collection for a directory; a kubernetes/website ATTRIBUTION.md selects kubernetes.io citations."""
    if not base_url and not attribution:
        attr = root / "ATTRIBUTION.md"
        try:
            text = attr.read_text(encoding="utf-8") if attr.is_file() else ""
        except OSError:
            text = ""
        if "kubernetes/website" in text:
            base_url, attribution = K8S_DOCS_URL, K8S_DOCS_ATTRIBUTION
    return Collection(root=root, prefix=root.name or "docs", base_url=base_url, attribution=attribution)


def iter_files(path: Path) -> Iterator[Path]:
    """Loadable files under `path` (or `path` itself), sorted, hidden and metadata files skipped."""
    if path.is_file():
        yield path
        return
    for file in sorted(path.rglob("*")):
        rel = file.relative_to(path)
        if any(part.startswith(".") for part in rel.parts) or not file.is_file():
            continue
        if file.suffix.lower() in SUFFIXES and not file.stem.lower().startswith(SKIPPED_NAMES):
            yield file


def doc_id_for(file: Path, collection: Collection | None) -> str:
    if collection is None:
        return file.stem
    rel = file.relative_to(collection.root).with_suffix("")
    return f"{collection.prefix}/{rel.as_posix()}"


def source_for(file: Path, collection: Collection | None, meta: dict[str, Any]) -> str:
    explicit = str(meta.get("source") or "").strip()
    if explicit:
        return explicit
    if collection is not None and collection.base_url:
        rel = file.relative_to(collection.root).with_suffix("").as_posix()
        if rel.endswith("_index"):
            rel = rel[: -len("_index")].rstrip("/")
        url = collection.base_url.rstrip("/") + "/" + rel + ("/" if rel else "")
        return f"{url} ({collection.attribution})" if collection.attribution else url
    if collection is not None:
        return file.relative_to(collection.root.parent).as_posix()
    return file.name


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- loading


def load_document(file: Path, collection: Collection | None = None, data: bytes | None = None) -> Document:
    """Parse one file into a Document with its chunks; DocumentError when unreadable or corrupt."""
    try:
        raw = file.read_bytes() if data is None else data
    except OSError as err:
        raise DocumentError(f"{file}: cannot read: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError(f"{file}: not UTF-8 text") from None
    if "\x00" in text:
        raise DocumentError(f"{file}: binary content")
    kind = SUFFIXES.get(file.suffix.lower(), "text")
    if kind == "markdown":
        meta, blocks = parse_markdown(text, file)
    elif kind == "html":
        meta, blocks = parse_html(text)
    elif kind == "rst":
        meta, blocks = parse_rst(text)
    else:
        meta, blocks = {}, [(0, "", text)]
    title = str(meta.get("title") or "").strip() or _first_heading(blocks) or _title_from_name(file)
    reasons = tuple(r for r in (canonical(str(x)) for x in _as_list(meta.get("reasons"))) if r)
    kinds = tuple(str(k).strip() for k in _as_list(meta.get("kinds")) if str(k).strip())
    doc = Document(
        doc_id=doc_id_for(file, collection),
        title=title,
        source=source_for(file, collection, meta),
        path=str(file),
        sha256=sha256_bytes(raw),
        reasons=reasons,
        kinds=kinds,
        updated=str(meta.get("updated") or ""),
    )
    doc.chunks = chunk_blocks(doc, blocks)
    if not doc.chunks:
        raise DocumentError(f"{file}: no text")
    return doc


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[,\s]+", value) if v]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _first_heading(blocks: list[Block]) -> str:
    return next((h for level, h, _ in blocks if level == 1 and h), "")


def _title_from_name(file: Path) -> str:
    stem = file.parent.name if file.stem == "_index" else file.stem
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or file.name


# ---------------------------------------------------------------- markdown / Hugo

_FRONT_YAML = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_FRONT_TOML = re.compile(r"\A\+\+\+[ \t]*\r?\n(.*?)\r?\n\+\+\+[ \t]*(?:\r?\n|\Z)", re.S)
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_SHORTCODE_OPEN = re.compile(r"\{\{[<%]")
_SHORTCODE_BODY = re.compile(r"\s*(/?)\s*([\w./-]+)(.*?)\s*", re.S)
MAX_SHORTCODE = 2000
_ARG_TEXT = re.compile(r'\btext="([^"]*)"')
_ARG_FILE = re.compile(r'\bfile="([^"]*)"')
_ARG_NAME = re.compile(r'\bname="([^"]*)"')
_ARG_FIRST = re.compile(r'^\s*"([^"]*)"')
# Each scan stops at the next opening bracket, so the searches stay linear in the text.
_MD_LINK = re.compile(r"!?\[([^\[\]\n]{0,1000})\]\([^()\[\]\n]{0,2000}\)")
_ANCHOR = re.compile(r"\{#[^{}]{0,200}\}")
_HUGO_HEADINGS = {
    "prerequisites": "Before you begin", "whatsnext": "What's next", "cleanup": "Clean up", "objectives": "Objectives",
    "synopsis": "Synopsis", "options": "Options", "seealso": "See also",
}  # fmt: skip
_ADMONITIONS = {"note": "Note:", "caution": "Caution:", "warning": "Warning:"}


def _shortcode(closing: str, name: str, args: str) -> str:
    name = name.lower()
    if closing:
        return ""
    if name in _ADMONITIONS:
        return _ADMONITIONS[name] + " "
    if name == "heading" or name.endswith("-heading"):
        key = (_ARG_FIRST.search(args) or _ARG_NAME.search(args))
        word = key.group(1) if key else name.removesuffix("-heading")
        return _HUGO_HEADINGS.get(word, word.replace("-", " ").capitalize())
    if name == "feature-state":
        ver = re.search(r'for_k8s_version="([^"]*)"', args)
        state = re.search(r'state="([^"]*)"', args)
        return f"FEATURE STATE: Kubernetes {ver.group(1) if ver else ''} [{state.group(1) if state else ''}]"
    if m := _ARG_TEXT.search(args):
        return m.group(1)
    if name == "glossary_tooltip" and (m := re.search(r'term_id="([^"]*)"', args)):
        return m.group(1).replace("-", " ")
    if name in {"codenew", "code_sample", "code"} and (m := _ARG_FILE.search(args)):
        return f"(example: {m.group(1)})"
    if name == "tab" and (m := _ARG_NAME.search(args)):
        return f"{m.group(1)}:"
    return ""


def strip_hugo(text: str) -> str:
    """Hugo shortcodes rendered as the text they stand for (tooltips, headings, admonitions) or removed."""
    text = _strip_comments(text)
    out: list[str] = []
    pos = 0
    for m in _SHORTCODE_OPEN.finditer(text):
        start = m.start()
        if start < pos:
            continue
        # A shortcode ends at the first "}}" (bounded look-ahead), which must read ">}}" or "%}}".
        end = text.find("}}", start + 3, start + 3 + MAX_SHORTCODE)
        if end < 0 or text[end - 1] not in ">%":
            continue
        body = _SHORTCODE_BODY.fullmatch(text, start + 3, end - 1)
        if body is None:
            continue
        out.append(text[pos:start])
        out.append(_shortcode(body.group(1), body.group(2), body.group(3)))
        pos = end + 2
    out.append(text[pos:])
    return "".join(out)


def _strip_comments(text: str) -> str:
    """`<!-- … -->` removed, scanning once; an unclosed comment stays text."""
    out: list[str] = []
    pos = 0
    while (start := text.find("<!--", pos)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        out.append(text[pos:start])
        pos = end + 3
    out.append(text[pos:])
    return "".join(out)


def _atx(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line (`## Fix ##`), parsed without backtracking."""
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or level == len(line) or line[level] not in " \t":
        return None
    text = line[level:].strip(" \t")
    closed = text.rstrip("#")
    if closed != text and (not closed or closed[-1] in " \t"):
        text = closed.rstrip(" \t")
    return (level, text) if text else None


def parse_front_matter(text: str, file: Path | None = None) -> tuple[dict[str, Any], str]:
    import yaml

    from kubesage.yamlsafe import safe_load

    m = _FRONT_YAML.match(text)
    if m:
        try:
            meta = safe_load(m.group(1))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            line = f" line {mark.line + 2}" if mark is not None else ""
            raise DocumentError(f"{file}: invalid front matter{line}: {getattr(err, 'problem', err)}") from None
        if meta is not None and not isinstance(meta, dict):
            raise DocumentError(f"{file}: front matter must be a mapping")
        return dict(meta or {}), text[m.end() :]
    m = _FRONT_TOML.match(text)
    if m:
        meta_t: dict[str, Any] = {}
        for line in m.group(1).splitlines():
            key, sep, value = line.partition("=")
            if sep:
                meta_t[key.strip()] = value.strip().strip("\"'")
        return meta_t, text[m.end() :]
    return {}, text


def parse_markdown(text: str, file: Path | None = None) -> tuple[dict[str, Any], list[Block]]:
    meta, body = parse_front_matter(text, file)
    body = strip_hugo(body)
    blocks: list[Block] = []
    level, heading, lines = 0, "", list[str]()
    in_fence = False
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        m = None if in_fence else _atx(line)
        if m:
            blocks.append((level, heading, "\n".join(lines)))
            level, heading, lines = m[0], _clean_inline(m[1]), []
        else:
            lines.append(line)
    blocks.append((level, heading, "\n".join(lines)))
    return meta, [(lv, h, _MD_LINK.sub(r"\1", t)) for lv, h, t in blocks]


def _clean_inline(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    text = _ANCHOR.sub("", text)  # heading anchors {#id}
    return text.replace("`", "").replace("**", "").strip()


# ---------------------------------------------------------------- HTML


class _HTMLBlocks(HTMLParser):
    _SKIP = {"script", "style", "nav", "footer", "head", "noscript", "template"}
    _BREAK = {"p", "div", "li", "br", "tr", "pre", "section", "article", "table", "ul", "ol", "blockquote", "dd", "dt"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.blocks: list[Block] = []
        self._level, self._heading, self._buf = 0, "", [""]
        self._skip = 0
        self._in_title = False
        self._heading_level = 0
        self._heading_buf: list[str] = []

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self._SKIP:
            self._skip += 1
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._heading_level, self._heading_buf = int(tag[1]), []
        elif tag in self._BREAK:
            self._buf.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif self._heading_level and tag == f"h{self._heading_level}":
            self.blocks.append((self._level, self._heading, "".join(self._buf)))
            self._level, self._heading = self._heading_level, " ".join("".join(self._heading_buf).split())
            self._buf, self._heading_level = [""], 0
        elif tag in self._BREAK:
            self._buf.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self._skip:
            return
        elif self._heading_level:
            self._heading_buf.append(data)
        else:
            self._buf.append(data)

    def finish(self) -> list[Block]:
        self.close()
        self.blocks.append((self._level, self._heading, "".join(self._buf)))
        return self.blocks


def parse_html(text: str) -> tuple[dict[str, Any], list[Block]]:
    parser = _HTMLBlocks()
    parser.feed(text)
    blocks = parser.finish()
    cleaned = [(lv, h, re.sub(r"[ \t]+", " ", t)) for lv, h, t in blocks]
    meta: dict[str, Any] = {"title": " ".join(parser.title.split())} if parser.title.strip() else {}
    return meta, cleaned


# ---------------------------------------------------------------- reStructuredText

_RST_ADORN = re.compile(r"^([=\-~^\"'#*+`:._])\1{2,}\s*$")
_RST_DIRECTIVE = re.compile(r"^\s*\.\. ([\w-]+)::\s*(.*)$")


def parse_rst(text: str) -> tuple[dict[str, Any], list[Block]]:
    lines = text.splitlines()
    styles: list[tuple[str, bool]] = []
    blocks: list[Block] = []
    level, heading, buf = 0, "", list[str]()
    i = 0
    while i < len(lines):
        line = lines[i]
        over = bool(_RST_ADORN.match(line)) and i + 2 < len(lines) and lines[i + 2].strip() == line.strip()
        title_line = lines[i + 1] if over else line
        under = lines[i + 2] if over else (lines[i + 1] if i + 1 < len(lines) else "")
        m = _RST_ADORN.match(under)
        if title_line.strip() and not _RST_ADORN.match(title_line) and m and len(under.strip()) >= len(
            title_line.strip()
        ):
            style = (m.group(1), over)
            if style not in styles:
                styles.append(style)
            blocks.append((level, heading, "\n".join(buf)))
            level, heading, buf = styles.index(style) + 1, title_line.strip(), []
            i += 3 if over else 2
            continue
        d = _RST_DIRECTIVE.match(line)
        if d:
            name = d.group(1).lower()
            buf.append(_ADMONITIONS.get(name, "") + (" " + d.group(2) if d.group(2) else ""))
        else:
            buf.append(line)
        i += 1
    blocks.append((level, heading, "\n".join(buf)))
    return {}, blocks


# ---------------------------------------------------------------- chunking


def chunk_blocks(doc: Document, blocks: list[Block]) -> list[Chunk]:
    chunks: list[Chunk] = []
    path: list[tuple[int, str]] = []
    in_zh = False
    for level, heading, text in blocks:
        if level > 0:
            path = [(lv, h) for lv, h in path if lv < level]
            # The document title (first H1) is not part of the section path.
            if not (level == 1 and heading == doc.title):
                path.append((level, heading))
        names = [h for _, h in path]
        section = " > ".join(names)
        in_zh = any(cjk_ratio(h) > 0.5 for h in names)
        body = _normalize(text)
        if not body:
            continue
        for piece in _split(body):
            lang = "zh" if in_zh or cjk_ratio(piece) > 0.3 else "en"
            chunks.append(Chunk(doc.doc_id, doc.title, section, doc.source, piece, doc.reasons, doc.kinds, lang,
                                len(chunks)))  # fmt: skip
    return chunks


def _normalize(text: str) -> str:
    lines = [ln.rstrip() for ln in text.splitlines()]
    out = "\n".join(lines)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()


def _split(text: str, limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """Pieces of about `limit` characters, at paragraph boundaries, else at a line break, else hard.
    A long paragraph is walked by offset (never re-sliced), so the work is linear in its length."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        if len(para) > limit:
            start = 0
            while len(para) - start > limit:
                cut = para.rfind("\n", start, start + limit)
                cut = cut if cut > start + limit // 2 else start + limit
                head = para[start:cut]
                pieces.append((current + "\n\n" + head).strip() if current else head)
                current = ""
                start = cut
                while start < len(para) and para[start].isspace():
                    start += 1
            para = para[start:]
        if current and len(current) + len(para) + 2 > limit:
            pieces.append(current)
            current = para
        else:
            current = f"{current}\n\n{para}" if current else para
    if current.strip():
        pieces.append(current)
    return pieces
