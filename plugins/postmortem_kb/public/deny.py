"""What the leak guard looks for, and how a match is found in one text.

Two kinds of match make a public build fail:

* a deny pattern: the configured `deny` regexes and the built-in ones (e-mail addresses,
  RFC 1918 IPv4 addresses, `@handles` that were not turned into roles). Handles are a
  `prose_only` rule: in CSS, JavaScript and code `@media`, `@import`, decorators and npm
  scopes are syntax, and `replace_handles` leaves code alone too, so `scan.py` applies it to
  the prose readings of a file only; every other rule applies everywhere;
* a private string: a value that must not reach the public site (`private_strings.py`).
  Private strings match ignoring case, runs of whitespace, zero-width characters and the
  typography Markdown may add (curly quotes, dashes).

The normalisation and the matcher live here, below both the collection of private strings
and the scan of a site, because both must read text exactly alike: a private string kept
in one form and looked for in text normalised another way would silently never match.

A `Leak` names the file, what matched and a short excerpt in which every match is masked; it
never carries the private value it found, so a build log can be shared.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from .internal_markup import HANDLE_PATTERN

#: Private strings shorter than this are never scanned for: they would match everywhere.
MIN_PRIVATE_LENGTH = 4

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

_TYPOGRAPHY = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),
}
_TYPOGRAPHY_CHARS = re.compile(f"[{''.join(_TYPOGRAPHY)}]")
_DASHES = re.compile(r"-{2,}")


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


def normalise(text: str) -> str:
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


class PrivateMatcher:
    """Finds many private strings at once in lower-cased, normalised text.

    A regex over the first few characters of every needle finds candidate positions at C
    speed; each candidate is then checked exactly. A needle only matches as a whole word
    where it starts or ends with a letter, digit or underscore (`db-1` is not in `db-10`).
    """

    _KEY_LENGTH = 8

    def __init__(self, private_strings: Mapping[str, str]) -> None:
        self.labels: dict[str, str] = {}
        for value, label in private_strings.items():
            needle = normalise(html.unescape(value)).strip().lower()
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
