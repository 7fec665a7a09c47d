"""The leak guard: a fail-closed scan of a finished public site before it goes live.

The public site is built by allowlist (`public.py`); this is the second line of defence. After
a public build, `scan_site` reads every file of the (staging) site — pages, search index,
sitemaps (gzipped too), feeds, JSON, copied assets, images, fonts — and every file and folder
name, and reports each match of

* a deny pattern: the configured `deny` regexes and the built-in ones (e-mail addresses,
  RFC 1918 IPv4 addresses, `@handles` that were not turned into roles), and
* a private string: a value of a field that must not reach the public site, from
  `collect_private_strings`.

Each file is read in every form a browser, feed reader or search engine could read it in: as
written with HTML character references decoded (`&#64;`), with JSON/JavaScript escapes
decoded (`\\u0040`, `\\/`), with percent-escapes decoded, as JSON string values, and as
HTML/XML text content. Binary files are read as their printable ASCII and UTF-16 runs.
Private strings match ignoring case, runs of whitespace, zero-width characters and the
typography Markdown may add (curly quotes, dashes).

Vendored theme files: mkdocs-material's bundled JavaScript, source maps and stylesheets carry
e-mail addresses (licence headers) and CSS at-rules (`@media`). A site file byte-identical to
a file the installed theme packages ship cannot carry knowledge-base data, so it is skipped,
name and content. Any other file, even a theme file changed by one byte, is scanned.

Handles are looked for only in prose: HTML/XML text and the human-readable attributes (`alt`,
`title`, `content`, `aria-label`, `placeholder`), outside `<code>`, `<pre>`, `<kbd>`,
`<samp>`, `<script>`, `<style>`; JSON string values read the same way (or as Markdown, outside
code, when they hold no HTML); plain-text files. Never in CSS or JavaScript, where `@media`,
`@import`, decorators and npm scopes are syntax, and never in code, which `replace_handles`
leaves alone too: a `@retry` in a code span neither gets a role nor fails the build. E-mail
addresses, IPv4 addresses, `deny` patterns and private strings are looked for everywhere.

A `Leak` names the file, what matched and a short excerpt in which every match is masked; it
never carries the private value it found.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import html
import importlib.util
import json
import os
import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from ..core.model import Incident, PublicIncident
from .internal_markup import HANDLE_PATTERN, internal_parts, markdown_without_code

#: What a report shows instead of what it found.
REDACTED = "[redacted]"
#: Packages whose shipped files may be copied verbatim into a site (see module docstring).
VENDORED_PACKAGES = ("material", "mkdocs", "postmortem_kb")

#: Private strings shorter than this are never scanned for: they would match everywhere.
MIN_PRIVATE_LENGTH = 4
#: A fragment of private prose is scanned for when it is a sentence this long…
MIN_SENTENCE_LENGTH = 20
#: …with at least this many words.
MIN_SENTENCE_WORDS = 3
#: A single word inside private prose is scanned for when it is identifier-like and this long.
MIN_FRAGMENT_TOKEN_LENGTH = 6

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_RFC1918 = re.compile(
    rf"(?<![\d.])(?:10(?:\.{_OCTET}){{3}}|172\.(?:1[6-9]|2\d|3[01])(?:\.{_OCTET}){{2}}"
    rf"|192\.168(?:\.{_OCTET}){{2}})(?!\.?\d)"
)
_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+-]*@{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*"
    rf"\.(?P<tld>[A-Za-z]{{2,63}})(?![\w-])"
)
# `logo@2x.png` is a file name, not an address.
_FILE_SUFFIX_TLDS = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "bmp", "css", "js", "mjs"}
    | {"json", "map", "html", "htm", "xml", "txt", "md", "pdf", "woff", "woff2", "ttf", "otf"}
    | {"eot", "gz", "zip"}
)

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

_TYPOGRAPHY = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),
}
_TYPOGRAPHY_CHARS = re.compile(f"[{''.join(_TYPOGRAPHY)}]")
_DASHES = re.compile(r"-{2,}")
_BACKSLASH_ESCAPE = re.compile(
    r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|U([0-9a-fA-F]{8})|(.))", re.S
)
_NOT_WORD = re.compile(r"[\W_]+")
_INDEX = re.compile(r"\[\d+\]")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_LOOKS_LIKE_HTML = re.compile(r"</?[A-Za-z][^<>]*>")
_ASCII_RUN = re.compile(rb"[\x20-\x7e]{4,}")
_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e]\x00){4,}")
# Where private prose is cut into fragments: lines, sentence ends and Markdown punctuation.
_FRAGMENT_BREAK = re.compile(r"\n|(?<=[.!?;:])\s+|[*`\[\]()<>{}|#~\\]+")
_EDGE_PUNCTUATION = " \t`*_~\"'.,;:!?-+"


@dataclass(frozen=True)
class Leak:
    """Something in the built site that must not be there."""

    file: str  # path relative to the site, posix style
    kind: str  # "deny pattern <name>", "private field <field> of <source>", "file name: …"
    excerpt_redacted: str  # context around the match, with every match masked

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}: {self.excerpt_redacted}"


@dataclass(frozen=True)
class DenyRule:
    """One deny pattern: its name in leak reports and where it applies."""

    name: str
    pattern: re.Pattern[str]
    #: Only in prose (see module docstring), not in code or binary files.
    prose_only: bool = False
    #: Matches that look like the pattern but are not what it is for.
    ignore: Callable[[re.Match[str]], bool] | None = None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        for match in self.pattern.finditer(text):
            if match.end() > match.start() and not (self.ignore and self.ignore(match)):
                yield match


#: The deny patterns every public build applies.
BUILTIN_DENY_RULES = (
    DenyRule(
        "e-mail address", _EMAIL, ignore=lambda found: found["tld"].lower() in _FILE_SUFFIX_TLDS
    ),
    DenyRule("RFC 1918 address", _RFC1918),
    DenyRule("unresolved @handle", HANDLE_PATTERN, prose_only=True),
)


def compile_deny(deny: Sequence[str]) -> tuple[DenyRule, ...]:
    """The configured deny regexes as rules; ValueError names a pattern that cannot work."""
    rules: list[DenyRule] = []
    for source in deny:
        try:
            pattern = re.compile(source)
        except re.error as error:
            raise ValueError(
                f"deny pattern {source!r} is not a valid regular expression: {error}"
            ) from None
        if pattern.search(""):
            raise ValueError(
                f"deny pattern {source!r} matches empty text, so it would match everywhere"
            )
        rules.append(DenyRule(source, pattern))
    return tuple(rules)


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
    vendored: VendoredFiles | None = None,
) -> list[Leak]:
    """Every leak in the site: deny-pattern matches and private strings, in names and content.

    `deny` holds the configured regexes (the built-in rules are always added);
    `private_strings` maps a value to its label, e.g. from `collect_private_strings`.
    `vendored` defaults to the installed theme packages.
    """
    scanner = _Scanner(
        BUILTIN_DENY_RULES + compile_deny(deny),
        _PrivateMatcher(private_strings),
        installed_theme_files() if vendored is None else vendored,
    )
    leaks: list[Leak] = []
    for path in _files_under(site_dir):
        leaks.extend(scanner.scan_file(path, path.relative_to(site_dir).as_posix()))
    return leaks


def collect_private_strings(
    incidents: Iterable[Incident],
    public_incidents: Iterable[PublicIncident],
    *,
    also_public: Iterable[str] = (),
) -> dict[str, str]:
    """The private values worth scanning the public site for, each with its label.

    Private: everything of an incident that is not published publicly; of a public incident,
    everything its `PublicIncident` does not show — internal title, summary, body, services,
    non-public tags, owner, commander, handles in `roles`, non-public timeline entries and
    follow-ups, follow-up owners, tickets and priorities, links, evidence, lists, learnings,
    customer impact, source path and file name — plus the internal blocks and spans of its
    public texts. (`trigger` is a closed vocabulary of common words, not a secret.)

    Distinctive enough to scan for, so that a clean site never fails:
    * a whole value that is one identifier-like token of 4+ characters: it has a letter and a
      digit, one of `_ . / @ :`, mixed case (`PagerDuty`) or upper case with `-` (`OPS-DB`) —
      and in name fields (services, tags, handles, owners, tickets, ids, links, files) also
      lower-case words joined by `-` (`payments-api`); plain words (`billing`, `search`) and
      prose compounds (`on-call`) read like prose and are not;
    * in prose, every fragment between line breaks, sentence ends and Markdown punctuation
      that is 20+ characters and 3+ words, and every identifier-like token of 6+ characters.
    A candidate that occurs in any public text (or in `also_public`: public tag names,
    severities, the site's own pages) is dropped; both are compared as slugs (lower case,
    punctuation and spaces as `-`), because the site turns public names into URLs. Values map
    to "private field <field> of <source file>": the report names where to look.
    """
    public_list = list(public_incidents)
    public_by_id = {incident.id: incident for incident in public_list}
    candidates: dict[str, str] = {}
    for incident in incidents:
        where = f"of {incident.source}"
        for field, value in _private_values(incident, public_by_id.get(incident.id)):
            for needle in _needles(value, name=_is_name_field(field)):
                candidates.setdefault(needle, f"private field {field} {where}")
    public_texts = [text for incident in public_list for text in _public_texts(incident)]
    corpus = "\n".join(_normalise(html.unescape(text)) for text in [*public_texts, *also_public])
    # Compared as slugs: the site turns public names into URLs and anchors
    # ("Merchant dashboard" → services/merchant-dashboard/), so an internal
    # `merchant-dashboard` whose words are public anyway would otherwise fail every build.
    slugs = {needle: _slug(needle) for needle in candidates}
    slug_matcher = _PrivateMatcher(dict.fromkeys(slugs.values(), "public"))
    in_public = {found.needle for found in slug_matcher.find(_slug(corpus))}
    return {needle: label for needle, label in candidates.items() if slugs[needle] not in in_public}


#: Fields whose values are names, not prose (the last part of the field path).
_NAMES = frozenset(
    {"id", "source", "services", "tags", "roles", "related", "recurrence_of", "links"}
    | {"commander", "owner", "ticket", "priority", "link", "file"}
)


def _is_name_field(field: str) -> bool:
    """`follow_ups[2].owner` → is `owner` a name field?"""
    return _INDEX.sub("", field).rsplit(".", 1)[-1] in _NAMES


def _slug(text: str) -> str:
    return _NOT_WORD.sub("-", text.lower())


def _private_values(incident: Incident, public: PublicIncident | None) -> Iterator[tuple[str, str]]:
    """(field, value) for every private value of an incident; `public` is its projection."""
    yield "title", incident.title
    yield "source", incident.source
    yield "source", PurePosixPath(incident.source).name
    if public is None:
        yield "id", incident.id
    texts = (
        ("summary", incident.summary),
        ("body", incident.body),
        ("key_learning", incident.key_learning),
        ("impact.customer", incident.impact.customer),
        ("commander", incident.commander),
        ("owner", incident.owner),
    )
    yield from ((field, text) for field, text in texts if text)
    lists = (
        ("services", incident.services),
        ("contributors", incident.contributors),
        ("mitigators", incident.mitigators),
        ("risks", incident.risks),
        ("surprises", incident.surprises),
        ("went_well", incident.went_well),
        ("went_wrong", incident.went_wrong),
        ("got_lucky", incident.got_lucky),
        ("five_whys", incident.five_whys),
        ("unknowns", incident.unknowns),
        *((f"learnings.{category}", items) for category, items in incident.learnings.items()),
    )
    yield from ((field, item) for field, items in lists for item in items)
    public_tags = set(public.tags) if public is not None else set()
    yield from (("tags", tag) for tag in incident.tags if tag not in public_tags)
    yield from (("roles", "@" + handle.removeprefix("@")) for handle in incident.roles)
    # Ids of other incidents: the public ones are dropped again as public text.
    yield from (("related", related) for related in incident.related)
    if incident.recurrence_of:
        yield "recurrence_of", incident.recurrence_of
    for name, url in incident.links.items():
        yield "links", name
        yield "links", url.rstrip("/")
    for index, evidence in enumerate(incident.evidence):
        yield f"evidence[{index}].caption", evidence.caption
        if evidence.link:
            yield f"evidence[{index}].link", evidence.link.rstrip("/")
        if evidence.file:
            yield f"evidence[{index}].file", evidence.file
            yield f"evidence[{index}].file", PurePosixPath(evidence.file).name
    for index, entry in enumerate(incident.timeline):
        yield from _maybe_public(f"timeline[{index}].event", entry.event, public, entry.public)
    for index, follow_up in enumerate(incident.follow_ups):
        field = f"follow_ups[{index}]"
        yield from _maybe_public(f"{field}.action", follow_up.action, public, follow_up.public)
        details = {
            "owner": follow_up.owner,
            "ticket": follow_up.ticket,
            "priority": follow_up.priority,
        }
        yield from ((f"{field}.{name}", value) for name, value in details.items() if value)
    if incident.public is not None:
        view = incident.public
        public_view_texts = (
            ("public.title", view.title),
            ("public.summary", view.summary),
            ("public.impact", view.impact),
            ("public.remediation", view.remediation),
            ("public.key_learning", view.key_learning),
            *((f"public.services[{index}]", name) for index, name in enumerate(view.services)),
        )
        for field, text in public_view_texts:
            if text:
                yield from _maybe_public(field, text, public, True)


def _maybe_public(
    field: str, text: str, public: PublicIncident | None, marked_public: bool
) -> Iterator[tuple[str, str]]:
    """A text meant for the public: private whole unless it is shown, then its internal parts."""
    if public is None or not marked_public:
        yield field, text
    else:
        yield from ((field, part) for part in internal_parts(text))


def _public_texts(incident: PublicIncident) -> Iterator[str]:
    yield from (incident.id, incident.title, incident.severity, incident.summary)
    optional = (incident.impact, incident.remediation, incident.key_learning)
    yield from (text for text in optional if text)
    yield from incident.services
    yield from incident.tags
    yield from (entry.event for entry in incident.timeline)
    yield from (follow_up.action for follow_up in incident.follow_ups)


def _needles(value: str, *, name: bool) -> Iterator[str]:
    """The distinctive strings of one value (see `collect_private_strings`)."""
    whole = _normalise(html.unescape(value)).strip(_EDGE_PUNCTUATION)
    if _is_identifier_like(whole, MIN_PRIVATE_LENGTH, hyphenated_words=name):
        yield whole
    for piece in _FRAGMENT_BREAK.split(value):
        fragment = _normalise(html.unescape(piece)).strip(_EDGE_PUNCTUATION)
        if fragment != whole and (
            _is_sentence(fragment) or _is_identifier_like(fragment, MIN_FRAGMENT_TOKEN_LENGTH)
        ):
            yield fragment


def _is_sentence(text: str) -> bool:
    return len(text) >= MIN_SENTENCE_LENGTH and len(text.split()) >= MIN_SENTENCE_WORDS


def _is_identifier_like(text: str, minimum: int, *, hyphenated_words: bool = False) -> bool:
    """A token no prose is made of; `hyphenated_words` also admits `payments-api`."""
    if len(text) < minimum or any(char.isspace() for char in text):
        return False
    if not any(char.isalpha() for char in text):
        return False  # numbers, dates, times, versions without letters
    if any(char.isdigit() or char in "_./@:" for char in text):
        return True
    if any(char.isupper() for char in text[1:]) and any(char.islower() for char in text):
        return True  # PagerDuty
    words = text.split("-")
    if len(words) < 2 or not all(word.isalpha() for word in words):
        return False
    return hyphenated_words or text.isupper()  # on-call is prose, OPS-DB is not


def _normalise(text: str) -> str:
    """NFKC, plain quotes and dashes, no zero-width characters, single spaces."""
    text = _TYPOGRAPHY_CHARS.sub(
        lambda char: _TYPOGRAPHY[char.group()], unicodedata.normalize("NFKC", text)
    )
    return " ".join(_DASHES.sub("-", text).split())


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    needle: str


class _PrivateMatcher:
    """Finds many private strings at once in lower-cased, normalised text.

    A regex over the first few characters of every needle finds candidate positions at C
    speed; each candidate is then checked exactly. A needle only matches as a whole word
    where it starts or ends with a letter, digit or underscore (`db-1` is not in `db-10`).
    """

    _KEY_LENGTH = 8

    def __init__(self, private_strings: Mapping[str, str]) -> None:
        self.labels: dict[str, str] = {}
        for value, label in private_strings.items():
            needle = _normalise(html.unescape(value)).strip().lower()
            if len(needle) >= MIN_PRIVATE_LENGTH:
                self.labels.setdefault(needle, label)
        self._by_key: defaultdict[str, list[str]] = defaultdict(list)
        for needle in self.labels:
            self._by_key[needle[: self._KEY_LENGTH]].append(needle)
        self._key_lengths = sorted({len(key) for key in self._by_key})
        self._candidates = (
            re.compile(f"(?={_trie_pattern(self._by_key)})") if self._by_key else None
        )

    def find(self, text: str, *, whole_words: bool = True) -> Iterator[_Match]:
        if self._candidates is None:
            return
        for candidate in self._candidates.finditer(text):
            start = candidate.start()
            for length in self._key_lengths:
                for needle in self._by_key.get(text[start : start + length], ()):
                    end = start + len(needle)
                    if text.startswith(needle, start) and (
                        not whole_words or _whole_word(text, start, end)
                    ):
                        yield _Match(start, end, needle)


def _whole_word(text: str, start: int, end: int) -> bool:
    def word(char: str) -> bool:
        return char.isalnum() or char == "_"

    if word(text[start]) and start > 0 and word(text[start - 1]):
        return False
    return not (word(text[end - 1]) and end < len(text) and word(text[end]))


_Trie = dict[str, "_Trie"]


def _trie_pattern(keys: Iterable[str]) -> str:
    """A regex matching any of `keys`, shaped as a trie so it stays fast with thousands."""
    root: _Trie = {}
    for key in keys:
        node = root
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_node_pattern(root)


def _trie_node_pattern(node: _Trie) -> str:
    if "" in node:
        return ""  # a key ends here: the candidate is found, the exact check does the rest
    branches = [re.escape(char) + _trie_node_pattern(child) for char, child in sorted(node.items())]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


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
        normalised = _normalise(text)
        # Offsets found in the lower-cased text must hold in this one: a few letters
        # (e.g. "İ") grow when lower-cased, and then the lower-cased text is what is kept.
        lowered = normalised.lower()
        return cls(normalised if len(lowered) == len(normalised) else lowered, prose, binary)


class _Scanner:
    def __init__(
        self, rules: Sequence[DenyRule], private: _PrivateMatcher, vendored: VendoredFiles
    ) -> None:
        self._rules = rules
        self._private = private
        self._vendored = vendored
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
            for kind, start, end, key in self._matches(reading):
                if (kind, key) not in seen:
                    seen.add((kind, key))
                    yield Leak(shown, kind, self._excerpt(reading.text, start, end))

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
                for match in rule.finditer(reading.text):
                    yield (
                        f"deny pattern {rule.name}",
                        match.start(),
                        match.end(),
                        match.group().lower(),
                    )
        for found in self._private.find(reading.text.lower(), whole_words=not reading.binary):
            label = self._private.labels[found.needle]
            yield label, found.start, found.end, label

    def _excerpt(self, text: str, start: int, end: int) -> str:
        """Some context either side of text[start:end], every match in that window masked.

        The window is matched as a whole, so a private value that runs across the edge of
        the reported match (a deny pattern inside a private name) is masked entirely too.
        """
        left = max(0, start - 30)
        window = text[left : end + 30]
        spans = [(s, e) for _, s, e, _ in self._matches(_Reading(window, prose=True))]
        return f"…{_mask_spans(window, [*spans, (start - left, end - left)])}…"

    def _masked(self, reading: _Reading) -> str:
        return _mask_spans(reading.text, [(s, e) for _, s, e, _ in self._matches(reading)])


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
