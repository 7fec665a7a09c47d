"""The leak guard: a fail-closed scan of a finished public site before it goes live.

The public site is built by allowlist (`projection.py`); this is the second line of defence.
After a public build, `scan_site` reads every file of the (staging) site — pages, search
index, sitemaps (gzipped too), feeds, JSON, copied assets, images, fonts — and every file and
folder name, and reports each match of a deny pattern or a private string (`deny.py`).

Each file is read in every form a browser, feed reader or search engine could read it in: as
written with HTML character references decoded (`&#64;`), with JSON/JavaScript escapes
decoded (`\\u0040`, `\\/`), with percent-escapes decoded, as JSON string values, and as
HTML/XML text content. Binary files are read as their printable ASCII and UTF-16 runs. A
leak hidden behind any one encoding is still a leak, so every reading is matched.

Prose, where handles are looked for: HTML/XML text and the human-readable attributes (`alt`,
`title`, `content`, `aria-label`, `placeholder`), outside `<code>`, `<pre>`, `<kbd>`,
`<samp>`, `<script>`, `<style>`; JSON string values read the same way (or as Markdown, outside
code, when they hold no HTML); plain-text files. Never CSS or JavaScript, and never code: a
`@retry` in a code span neither gets a role nor fails the build. E-mail addresses, internal IP
addresses, credentials, `deny` patterns and private strings are looked for in every reading,
each reading `normalise`d first (invisible characters removed, NFKC), so an address broken up
by a zero-width character is found as the reader sees it. Reports mask every match in their
excerpt, which is cut from the normalised reading.

Allowed values (the `allow` option, the `contact`) are shown on purpose: a deny-pattern match
that is exactly one of them is no leak. They never exempt a private string: a value the
knowledge base keeps private stays a leak, whatever the configuration allows.

Vendored theme files: mkdocs-material's bundled JavaScript, source maps and stylesheets carry
e-mail addresses (licence headers) and CSS at-rules (`@media`). A site file byte-identical to
a file the installed theme packages ship cannot carry knowledge-base data, so it is skipped,
name and content. Any other file, even a theme file changed by one byte, is scanned.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import html
import importlib.util
import json
import os
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from .deny import BUILTIN_DENY_RULES, DenyRule, Leak, PrivateMatcher, compile_deny, normalise
from .internal_markup import markdown_without_code

#: What a report shows instead of what it found.
REDACTED = "[redacted]"
#: Packages whose shipped files may be copied verbatim into a site (see module docstring).
VENDORED_PACKAGES = ("material", "mkdocs", "postmortem_kb")

_MARKUP_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".xml", ".rss", ".atom", ".svg", ".xsl"})
_JSON_SUFFIXES = frozenset({".json", ".webmanifest", ".map"})
_CODE_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".css", ".map"})
_TEXT_SUFFIXES = _MARKUP_SUFFIXES | _JSON_SUFFIXES | _CODE_SUFFIXES | {".txt", ".md", ".csv"}
_CODE_TAGS = frozenset({"code", "pre", "kbd", "samp", "script", "style", "textarea", "template"})
_INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "cite", "data", "dfn", "em", "i", "mark", "q", "s"}
    | {"small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr"}
)
_PROSE_ATTRIBUTES = frozenset({"alt", "title", "content", "aria-label", "placeholder"})

_BACKSLASH_ESCAPE = re.compile(
    r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|U([0-9a-fA-F]{8})|(.))", re.S
)
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_LOOKS_LIKE_HTML = re.compile(r"</?[A-Za-z][^<>]*>")
_ASCII_RUN = re.compile(rb"[\x20-\x7e]{4,}")
_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e]\x00){4,}")


@dataclass(frozen=True)
class VendoredFiles:
    """Files shipped by installed packages, known by size and SHA-256."""

    digests_by_size: Mapping[int, frozenset[str]]

    @classmethod
    def from_dirs(cls, roots: Iterable[Path]) -> VendoredFiles:
        digests: defaultdict[int, set[str]] = defaultdict(set)
        for root in roots:
            for path in _files_under(root):
                # Icons are inlined into pages, never copied; Python files never reach a site.
                if ".icons" in path.parts or path.suffix in {".py", ".pyc"}:
                    continue
                data = path.read_bytes()
                digests[len(data)].add(hashlib.sha256(data).hexdigest())
        return cls({size: frozenset(found) for size, found in digests.items()})

    def __contains__(self, data: object) -> bool:
        if not isinstance(data, bytes):
            return False
        candidates = self.digests_by_size.get(len(data))
        return candidates is not None and hashlib.sha256(data).hexdigest() in candidates


@functools.lru_cache(maxsize=1)
def installed_theme_files() -> VendoredFiles:
    """The files of the installed `VENDORED_PACKAGES`, read once per process."""
    roots: list[Path] = []
    for name in VENDORED_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            roots.extend(Path(location) for location in spec.submodule_search_locations)
    return VendoredFiles.from_dirs(roots)


def scan_site(
    site_dir: Path,
    deny: Sequence[str],
    private_strings: Mapping[str, str],
    *,
    allow: Iterable[str] = (),
    vendored: VendoredFiles | None = None,
) -> list[Leak]:
    """Every leak in the site: deny-pattern matches and private strings, in names and content.

    `deny` holds the configured regexes (the built-in rules are always added);
    `private_strings` maps a value to its label, e.g. from `collect_private_strings`; `allow`
    holds values a deny pattern may match (see module docstring). `vendored` defaults to the
    installed theme packages.
    """
    scanner = _Scanner(
        BUILTIN_DENY_RULES + compile_deny(deny),
        PrivateMatcher(private_strings),
        installed_theme_files() if vendored is None else vendored,
        frozenset(normalise(value).lower() for value in allow),
    )
    leaks: list[Leak] = []
    for path in _files_under(site_dir):
        leaks.extend(scanner.scan_file(path, path.relative_to(site_dir).as_posix()))
    return leaks


@dataclass(frozen=True)
class _Reading:
    """One way to read a file: normalised text, and whether it is prose (handles apply).

    In a binary file the bytes next to a string are arbitrary, so private strings match there
    anywhere, not only as whole words.
    """

    text: str
    prose: bool
    binary: bool = False

    @classmethod
    def of(cls, text: str, *, prose: bool, binary: bool = False) -> _Reading:
        normalised = normalise(text)
        # Offsets found in the lower-cased text must hold in this one: a few letters
        # (e.g. "İ") grow when lower-cased, and then the lower-cased text is what is kept.
        lowered = normalised.lower()
        return cls(normalised if len(lowered) == len(normalised) else lowered, prose, binary)


class _Scanner:
    def __init__(
        self,
        rules: Sequence[DenyRule],
        private: PrivateMatcher,
        vendored: VendoredFiles,
        allowed: frozenset[str],
    ) -> None:
        self._rules = rules
        self._private = private
        self._vendored = vendored
        self._allowed = allowed  # normalised, lower case
        self._names_seen: set[str] = set()

    def scan_file(self, path: Path, relative: str) -> Iterator[Leak]:
        data = path.read_bytes()
        if data in self._vendored:
            return
        yield from self._scan_names(relative)
        shown = self._masked_path(relative)
        suffix = path.suffix.lower()
        if suffix == ".gz":
            data, suffix = _gunzip(data), PurePosixPath(path.stem).suffix.lower()
        seen: set[tuple[str, str]] = set()
        for reading in _readings(data, suffix):
            found = list(self._matches(reading))
            if not found:
                continue
            # Masked in excerpts: whatever any rule finds, even a prose-only one where this
            # reading does not report it (a handle beside an address in a page's source).
            prose = dataclasses.replace(reading, prose=True)
            spans = [(start, end) for _, start, end, _ in self._matches(prose)]
            for kind, start, end, key in found:
                if (kind, key) not in seen:
                    seen.add((kind, key))
                    yield Leak(shown, kind, _excerpt(reading.text, start, end, spans))

    def _scan_names(self, relative: str) -> Iterator[Leak]:
        parts = relative.split("/")
        for depth in range(1, len(parts) + 1):
            name_path = "/".join(parts[:depth])
            if name_path in self._names_seen:
                continue
            self._names_seen.add(name_path)
            for kind, _, _, _ in self._matches(_name_reading(parts[depth - 1])):
                # The name itself holds the match: the report shows the path masked.
                masked = self._masked_path(name_path)
                yield Leak(masked, f"file name: {kind}", masked)

    def _masked_path(self, relative: str) -> str:
        """The path with every match in its file and folder names masked."""
        return "/".join(self._masked(_name_reading(part)) for part in relative.split("/"))

    def _matches(self, reading: _Reading) -> Iterator[tuple[str, int, int, str]]:
        """(kind, start, end, key for de-duplication) of every match in one reading."""
        for rule in self._rules:
            if reading.prose or not rule.prose_only:
                for kind, match in rule.finditer(reading.text):
                    key = match.group().lower()
                    if key not in self._allowed:
                        yield f"deny pattern {kind}", match.start(), match.end(), key
        for found in self._private.find(reading.text.lower(), whole_words=not reading.binary):
            label = self._private.labels[found.needle]
            yield label, found.start, found.end, label

    def _masked(self, reading: _Reading) -> str:
        return _mask_spans(reading.text, [(s, e) for _, s, e, _ in self._matches(reading)])


def _excerpt(text: str, start: int, end: int, spans: Iterable[tuple[int, int]]) -> str:
    """Some context either side of text[start:end], every match (`spans`) in it masked.

    The spans are the matches in the whole text, cut to the window: a value that runs across
    an edge of the window, or of the reported match, is masked as far as it shows.
    """
    left, right = max(0, start - 30), end + 30
    shown = [
        (max(s, left) - left, min(e, right) - left) for s, e in spans if s < right and e > left
    ]
    return f"…{_mask_spans(text[left:right], shown)}…"


def _mask_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace each span (overlapping ones merged) with REDACTED."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + REDACTED + text[end:]
    return text


def _name_reading(name: str) -> _Reading:
    return _Reading.of(unquote(name), prose=False)


def _readings(data: bytes, suffix: str) -> Iterator[_Reading]:
    text = _as_text(data, suffix)
    if text is None:
        runs = [run.decode("ascii") for run in _ASCII_RUN.findall(data)]
        runs += [run.decode("utf-16-le") for run in _UTF16_RUN.findall(data)]
        yield _Reading.of(html.unescape("\n".join(runs)), prose=False, binary=True)
        return
    unescaped = html.unescape(text)
    yield _Reading.of(unescaped, prose=False)
    if "\\" in text:
        yield _Reading.of(html.unescape(_decode_backslashes(text)), prose=False)
    if _PERCENT_ESCAPE.search(unescaped):
        yield _Reading.of(unquote(unescaped), prose=False)
    strings = _json_strings(text) if suffix in _JSON_SUFFIXES else None
    if strings is not None:
        yield _Reading.of("\n".join(html.unescape(string) for string in strings), prose=False)
    if suffix in _CODE_SUFFIXES:
        return
    if strings is not None:
        yield _Reading.of("\n".join(_prose_of_string(string) for string in strings), prose=True)
    elif suffix in _MARKUP_SUFFIXES:
        yield _Reading.of(_html_prose(text), prose=True)
    else:
        yield _Reading.of(markdown_without_code(unescaped), prose=True)


def _as_text(data: bytes, suffix: str) -> str | None:
    if suffix in _TEXT_SUFFIXES:
        return data.decode("utf-8", errors="replace")
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _gunzip(data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return data  # not really gzip: scanned as it is


def _decode_backslashes(text: str) -> str:
    """JSON and JavaScript string escapes decoded (`\\u0040`, `\\/`, surrogate pairs)."""

    def decode(match: re.Match[str]) -> str:
        code = match[1] or match[2] or match[3]
        if code is None:
            return {"n": "\n", "t": "\t", "r": "\r"}.get(match[4], match[4])
        number = int(code, 16)
        return chr(number) if number <= 0x10FFFF else match.group()

    decoded = _BACKSLASH_ESCAPE.sub(decode, text)
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _json_strings(text: str) -> list[str] | None:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    strings: list[str] = []
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            strings.append(item)
        elif isinstance(item, dict):
            strings.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return strings


def _prose_of_string(text: str) -> str:
    if _LOOKS_LIKE_HTML.search(text):
        return _html_prose(text)
    return markdown_without_code(html.unescape(text))


def _html_prose(text: str, depth: int = 0) -> str:
    reader = _ProseReader(depth)
    reader.feed(text)
    reader.close()
    return "".join(reader.parts)


class _ProseReader(HTMLParser):
    """Collects what a reader sees: text and readable attributes, outside code."""

    def __init__(self, depth: int) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._depth = depth
        self._in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CODE_TAGS:
            self._in_code += 1
        if tag not in _INLINE_TAGS:
            self.parts.append("\n")
        if not self._in_code:
            readable = (value for name, value in attrs if name in _PROSE_ATTRIBUTES and value)
            self.parts.extend(f" {value} " for value in readable)

    def handle_endtag(self, tag: str) -> None:
        if tag in _CODE_TAGS and self._in_code:
            self._in_code -= 1
        if tag not in _INLINE_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_code:
            return
        # Feeds carry escaped HTML inside XML elements: read it as HTML too.
        nested = self._depth < 2 and _LOOKS_LIKE_HTML.search(data)
        self.parts.append(_html_prose(data, self._depth + 1) if nested else data)

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA["):
            self.handle_data(data.removeprefix("CDATA["))


def _files_under(root: Path) -> Iterator[Path]:
    """Every file under `root`, following links to folders once, in a stable order."""
    visited: set[str] = set()
    for folder, folders, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in visited:
            folders[:] = []
            continue
        visited.add(real)
        folders.sort()
        for name in sorted(files):
            yield Path(folder, name)
