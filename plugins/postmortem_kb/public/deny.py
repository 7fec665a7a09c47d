"""What the leak guard looks for, and how a match is found in one text.

Two kinds of match make a public build fail:

* a deny pattern: the configured `deny` regexes and the built-in ones (`BUILTIN_DENY_RULES`):
  e-mail addresses, internal IP addresses (private, shared, link-local and loopback IPv4,
  unique local and link-local IPv6), credentials, and `@handles` that were not turned into
  roles. Handles are a `prose_only` rule: in CSS, JavaScript and code `@media`, `@import`,
  decorators and npm scopes are syntax, and `replace_handles` leaves code alone too, so
  `scan.py` applies it to the prose readings of a file only; every other rule applies
  everywhere. A value the site may show on purpose (the `allow` option, the `contact`) is no
  deny-pattern leak; the scan exempts it (`scan.py`), never a private string;
* a private string: a value that must not reach the public site (`private_strings.py`).
  Private strings match ignoring case, runs of whitespace and the typography Markdown may add
  (curly quotes, dashes).

Every text is `normalise`d before anything is matched in it, and private strings are
normalised alike: an invisible character (a zero-width space, a bidi mark, a BOM: Unicode's
format characters, category Cf) inside `10.0.0.\\u200e1` is not seen by a reader, so it must
not hide the address from the scan; NFKC makes the look-alikes (fullwidth digits, `\\uff20`
for `@`) the characters they show. Built-in patterns then find candidates loosely and decide
with a parser, not with a regex of ranges: `ipaddress` decides whether an address (zero
padding stripped) is internal, so a spelling the regex did not foresee is no way around it.

The normalisation and the matcher live here, below both the collection of private strings
and the scan of a site, because both must read text exactly alike: a private string kept
in one form and looked for in text normalised another way would silently never match.

A `Leak` names the file, what matched and a short excerpt in which every match is masked; it
never carries the private value it found, so a build log can be shared.
"""

from __future__ import annotations

import html
import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from .internal_markup import HANDLE_PATTERN
from .visible_text import visible_nfkc

#: Private strings shorter than this are never scanned for: they would match everywhere.
MIN_PRIVATE_LENGTH = 4

# -- normalisation ----------------------------------------------------------------------------

_TYPOGRAPHY = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
}
_TYPOGRAPHY_CHARS = re.compile(f"[{''.join(_TYPOGRAPHY)}]")
_DASHES = re.compile(r"-{2,}")


def normalise(text: str) -> str:
    """`visible_nfkc`, then plain quotes and dashes and single spaces."""
    text = visible_nfkc(text)
    text = _TYPOGRAPHY_CHARS.sub(lambda char: _TYPOGRAPHY[char.group()], text)
    return " ".join(_DASHES.sub("-", text).split())


# -- deny rules -------------------------------------------------------------------------------


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
    """One deny pattern: its name, where it applies, and what leak reports call a match."""

    name: str
    pattern: re.Pattern[str]
    #: Only in prose (see module docstring), not in code or binary files.
    prose_only: bool = False
    #: For a pattern that finds candidates: what a match is, named for the report, or None when
    #: it is not what the rule is for (`logo@2x.png`, a public address). Else every match is
    #: `name`.
    classify: Callable[[re.Match[str]], str | None] | None = None

    def finditer(self, text: str) -> Iterator[tuple[str, re.Match[str]]]:
        """(kind, match) of every match in `text`."""
        for match in self.pattern.finditer(text):
            if match.end() > match.start():
                kind = self.name if self.classify is None else self.classify(match)
                if kind is not None:
                    yield kind, match


# E-mail addresses: a local part and a host name of letters in any script, dotted or not
# (`ops@mailhost`). The host is captured by a lookahead and consumed by a backreference, which
# makes it atomic: `logo@2x.png` must not backtrack to `logo@2x`.
_EMAIL_KIND = "e-mail address"
_HOST_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_EMAIL = re.compile(
    rf"(?<![\w.%+-])\w[\w.%+-]*@(?=(?P<host>{_HOST_LABEL}(?:\.{_HOST_LABEL})*))(?P=host)(?![\w-])"
)
# `logo@2x.png` is a file name, not an address.
_FILE_SUFFIXES = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "bmp", "css", "js", "mjs"}
    | {"json", "map", "html", "htm", "xml", "txt", "md", "pdf", "woff", "woff2", "ttf", "otf"}
    | {"eot", "gz", "zip"}
)
# Not hosts: versions (`pkg@1.2.3`, `checkout@v4`, `pkg@2.0.0-rc.1`), a pixel density
# (`icon@2x`), a commit id (`repo.git@f82a36b`).
_NOT_A_HOST = re.compile(
    r"v?\d+(?:\.\d+)*(?:[-+][0-9a-z.]+)?|\d+(?:\.\d+)?x|(?=[a-f]*\d)[0-9a-f]{7,40}", re.I
)


def _email_kind(found: re.Match[str]) -> str | None:
    host = found["host"]
    labels = host.lower().split(".")
    if _NOT_A_HOST.fullmatch(host) or (len(labels) > 1 and labels[-1] in _FILE_SUFFIXES):
        return None
    return _EMAIL_KIND


# IP addresses: candidates in any common spelling (zero-padded octets; a port, CIDR prefix or
# zone id after; in brackets), decided by `ipaddress`. An IPv4 candidate is four dotted
# numbers, not part of a longer dotted number (`1.2.3.4.5` is a version); it starts with the
# digit, then looks behind it, because a pattern that starts with a character class lets the
# regex engine skip to the digits (four times faster).
_IPV4 = re.compile(r"\d(?<![\d.]\d)\d*(?:\.\d+){3}(?!\.?\d)")
_IPV6 = re.compile(
    r"(?<![\w:])(?P<address>[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})(?:%[\w.-]+)?(?![\w:])",
    re.IGNORECASE,
)
#: The ranges that name places inside a network, never a host a customer could reach. (Not
#: IPv6 loopback `::1`: it is also Python's slice `[::1]`.)
_INTERNAL_NETWORKS = tuple(
    (kind, tuple(ipaddress.ip_network(network) for network in networks))
    for kind, networks in (
        ("RFC 1918 address", ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")),
        ("shared (CGNAT) address", ("100.64.0.0/10",)),
        ("link-local address", ("169.254.0.0/16", "fe80::/10")),
        ("loopback address", ("127.0.0.0/8",)),
        ("unique local IPv6 address", ("fc00::/7",)),
    )
)


def _ipv4_kind(found: re.Match[str]) -> str | None:
    # Zero padding stripped: a reader takes `010` for ten, whatever inet_aton thinks.
    try:
        octets = (str(int(octet.lstrip("0") or "0")) for octet in found.group().split("."))
        return _internal_network_kind(ipaddress.IPv4Address(".".join(octets)))
    except ValueError:
        return None


def _ipv6_kind(found: re.Match[str]) -> str | None:
    try:
        address = ipaddress.IPv6Address(found["address"])
    except ValueError:
        return None
    return _internal_network_kind(address.ipv4_mapped or address)  # ::ffff:a00:1 is 10.0.0.1


def _internal_network_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    for kind, networks in _INTERNAL_NETWORKS:
        if any(address in network for network in networks):
            return kind
    return None


# Credentials, by the shapes their issuers document. detect-secrets was considered first: its
# regexes match inside longer runs (its AWS pattern fires in base64 blobs of bundled
# JavaScript), it lacks Google API keys and fine-grained GitHub tokens, and it is built around
# a line scanner with plugin settings rather than patterns to reuse. Here every token is found
# whole: not preceded by a token or base64 character, not followed by a token character.
_CREDENTIALS = {
    "AWS access key id": r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}",
    "GitHub token": r"gh[oprsu]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82}",
    "GitLab token": r"glpat-[A-Za-z0-9_-]{20,}",
    "Slack token": r"xox[abeoprs]-[A-Za-z0-9-]{10,}",
    "Slack webhook": r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/\w+",
    "Stripe secret key": r"[rs]k_live_[A-Za-z0-9]{24,}",
    "Google API key": r"AIza[A-Za-z0-9_-]{35}",
    # Header and payload are JSON objects, so both start `{"`: base64 `eyJ`.
    "JSON Web Token": r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
    # The whole block when it ends, else the marker and the base64 lines after it, line breaks
    # as spaces or as `\n` escapes (dashes are single after `normalise`).
    "private key": r"-+BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-+"
    r"(?:(?s:.{0,20000}?)-+END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-+"
    r"|(?:(?:\s|\\[nr])+[A-Za-z0-9+/=]{16,})*)"
    r"|PuTTY-User-Key-File-\d+",
}
#: One regex, a named group per kind: a group name must be an identifier, so `c<number>`.
_CREDENTIAL_KINDS = {f"c{number}": kind for number, kind in enumerate(_CREDENTIALS)}
_CREDENTIAL = re.compile(
    r"(?<![A-Za-z0-9_+/-])(?:"
    + "|".join(f"(?P<{group}>{_CREDENTIALS[kind]})" for group, kind in _CREDENTIAL_KINDS.items())
    + r")(?![A-Za-z0-9_-])"
)


def _credential_kind(found: re.Match[str]) -> str:
    return _CREDENTIAL_KINDS[str(found.lastgroup)]


#: The deny patterns every public build applies.
BUILTIN_DENY_RULES = (
    DenyRule(_EMAIL_KIND, _EMAIL, classify=_email_kind),
    DenyRule("internal IPv4 address", _IPV4, classify=_ipv4_kind),
    DenyRule("internal IPv6 address", _IPV6, classify=_ipv6_kind),
    DenyRule("credential", _CREDENTIAL, classify=_credential_kind),
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


# -- private strings --------------------------------------------------------------------------


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
