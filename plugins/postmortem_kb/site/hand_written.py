"""Hand-written pages: which audience each page of `docs/` is for, and what a page links to.

Every Markdown page in `docs_dir` declares `audience: internal | public | both` in its front
matter. A page that declares nothing is internal: a page written before audiences existed, or
by someone who never heard of them, must not reach customers by accident. A page whose
declaration cannot be read is internal too, and a problem names its file, line and field.

The front matter is read with our own YAML reader (`core/yaml_reader.py`), not MkDocs' meta
parser, which swallows YAML errors and renders the YAML as page text: a typo in `audience:`
must be an error, never a page silently given some audience. MkDocs also takes
MultiMarkdown-style meta lines (`audience: public` on the first line, no `---`) as front
matter, so those are read too.

The MkDocs plugin and `pmkb generate` apply the rest: `drop_from_nav` takes the nav entries
of pages a build leaves out from the `nav` setting before MkDocs builds the navigation (a page
left out is never a "not found" warning under `--strict`), and `linked_paths` reads the links
out of a page's HTML, where Markdown links, attribute lists and raw HTML have all become
`href`/`src` attributes: a non-Markdown file of `docs/` is public only when a public page
links to it. Nothing here knows MkDocs.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from ..core.fields import suggest
from ..core.loader import display_name
from ..core.problems import Problems
from ..core.yaml_reader import YamlProblem, parse_yaml

#: What a page may declare; `both` pages are in every build.
PAGE_AUDIENCES = ("internal", "public", "both")
#: The audience of a page that declares none, or whose declaration cannot be read.
DEFAULT_PAGE_AUDIENCE = "internal"
#: The suffixes MkDocs reads as Markdown pages (`mkdocs.utils.markdown_extensions`).
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkdn", ".mkd")

# MkDocs' own patterns (`mkdocs.utils.meta`), so a page has front matter exactly when MkDocs
# thinks so: YAML between `---` lines, else leading MultiMarkdown `key: value` lines.
_YAML_FRONT_MATTER = re.compile(r"^-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.DOTALL)
_META_LINE = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)")
_META_CONTINUATION = re.compile(r"^([ ]{4}|\t)(\s*)(?P<value>.*)")
#: Attributes whose value is one URL the browser loads or follows.
_URL_ATTRIBUTES = frozenset({"href", "src", "data", "poster"})
#: The made-up origin relative links are resolved against; anything elsewhere is another host.
_SITE_ORIGIN = "https://site.invalid/"


@dataclass(frozen=True)
class HandWrittenPage:
    """One Markdown page of `docs/` and the audience it declares."""

    #: Path relative to `docs_dir`, `/`-separated (MkDocs' `src_uri`).
    uri: str
    #: `internal`, `public` or `both`.
    audience: str
    #: The page's source, front matter included.
    text: str

    def is_for(self, audience: str) -> bool:
        """Whether a build for `audience` (`internal` or `public`) includes the page."""
        return self.audience in (audience, "both")

    @property
    def body(self) -> str:
        """The page's Markdown without its front matter, as MkDocs renders it."""
        front_matter = _YAML_FRONT_MATTER.match(self.text)
        if front_matter is not None:
            return self.text[front_matter.end() :]
        lines = self.text.split("\n")
        meta = False
        for number, line in enumerate(lines):
            if not line.strip():
                return "\n".join(lines[number + 1 :]) if meta else self.text
            if _META_LINE.match(line) or (meta and _META_CONTINUATION.match(line)):
                meta = True
            else:
                return "\n".join(lines[number:])
        return "" if meta else self.text


def read_hand_written_pages(docs_dir: Path, problems: Problems) -> list[HandWrittenPage]:
    """Every Markdown page under `docs_dir` with its declared audience, in path order.

    Files and folders whose name starts with `.` are skipped, as MkDocs skips them.
    """
    if not docs_dir.is_dir():
        return []
    pages = []
    for path in docs_dir.rglob("*"):
        relative = path.relative_to(docs_dir)
        if (
            path.suffix.lower() not in MARKDOWN_SUFFIXES
            or any(part.startswith(".") for part in relative.parts)
            or not path.is_file()
        ):
            continue
        display = display_name(path, docs_dir)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            problems.error(display, None, "", f"cannot read the page ({error}); expected UTF-8 "
                           "Markdown. It is left out of the public site")
            pages.append(HandWrittenPage(relative.as_posix(), DEFAULT_PAGE_AUDIENCE, ""))
            continue
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        audience = declared_audience(text, display, problems)
        pages.append(HandWrittenPage(relative.as_posix(), audience, text))
    return sorted(pages, key=lambda page: page.uri)


def declared_audience(text: str, display: str, problems: Problems) -> str:
    """The audience a page's front matter declares; `internal` when it declares none.

    A declaration that cannot be read adds an error to `problems` and counts as `internal`
    (fail closed: a page is public only when it says so, readably).
    """
    front_matter = _YAML_FRONT_MATTER.match(text)
    if front_matter is None:
        declared = _multimarkdown_audience(text)
        return DEFAULT_PAGE_AUDIENCE if declared is None else _checked(*declared, display,
                                                                       problems)
    try:
        parsed = parse_yaml(front_matter.group(1), line_offset=1)
    except YamlProblem as problem:
        problems.error(display, problem.line, problem.field_path,
                       f"{problem.message}. Until the front matter can be read the page is "
                       "internal")
        return DEFAULT_PAGE_AUDIENCE
    if not isinstance(parsed.data, dict) or "audience" not in parsed.data:
        return DEFAULT_PAGE_AUDIENCE
    return _checked(parsed.data["audience"], parsed.lines.get("audience", 2), display, problems)


def _multimarkdown_audience(text: str) -> tuple[str, int] | None:
    """`(value, line)` of an `audience:` MultiMarkdown meta line, read the way MkDocs does."""
    found: tuple[str, int] | None = None
    key = None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            break
        if meta := _META_LINE.match(line):
            key = meta["key"].lower()
            if key == "audience":
                found = (meta["value"].strip(), number)
        elif (more := _META_CONTINUATION.match(line)) and key is not None:
            if key == "audience" and found is not None:
                found = (f"{found[0]} {more['value'].strip()}", found[1])
        else:
            break
    return found


def _checked(value: Any, line: int, display: str, problems: Problems) -> str:
    if isinstance(value, str) and value in PAGE_AUDIENCES:
        return value
    if value is None:
        wrong = "no value"
    elif isinstance(value, str):
        wrong = f"'{value}' is not an audience{suggest(value.lower(), PAGE_AUDIENCES)}"
    else:
        wrong = f"a {'list' if isinstance(value, list) else 'mapping'} is not an audience"
    problems.error(display, line, "audience",
                   f"{wrong}; expected internal, public or both. Until it is one, the page "
                   "is internal")
    return DEFAULT_PAGE_AUDIENCE


def written_home_page(pages: Iterable[HandWrittenPage], audience: str) -> HandWrittenPage | None:
    """The hand-written home page of a build for `audience`, if it has one.

    MkDocs makes `README.md` the home page when there is no `index.md`, and drops it when
    there is one (before any plugin could leave that `index.md` out).
    """
    by_uri = {page.uri: page for page in pages}
    home = by_uri.get("index.md") or by_uri.get("README.md")
    return home if home is not None and home.is_for(audience) else None


def drop_from_nav(nav: list[Any], left_out: Collection[str]) -> list[Any]:
    """MkDocs' `nav` setting without the entries for the `left_out` pages (`docs/`-relative).

    A section whose every entry goes goes with them; links to other sites stay.
    """
    kept: list[Any] = []
    for item in nav:
        if isinstance(item, str):
            if _nav_target(item) not in left_out:
                kept.append(item)
        elif isinstance(item, dict):
            entries = {}
            for title, value in item.items():
                if isinstance(value, list):
                    children = drop_from_nav(value, left_out)
                    if children or not value:
                        entries[title] = children
                elif not (isinstance(value, str) and _nav_target(value) in left_out):
                    entries[title] = value
            if entries:
                kept.append(entries)
        else:
            kept.append(item)
    return kept


def files_named_by_config(config: Mapping[str, Any]) -> set[str]:
    """`docs/` files the theme loads because the config names them: `extra_css`,
    `extra_javascript`, `extra_templates`, the theme's `logo` and `favicon`.

    `config` is MkDocs' loaded configuration (the plugin, `pmkb generate`): its theme has a
    `get` like a mapping's.
    """
    theme = config["theme"]
    named = [*config["extra_css"], *map(str, config["extra_javascript"]),
             *config["extra_templates"], theme.get("logo"), theme.get("favicon")]
    return {posixpath.normpath(path).lstrip("/") for path in named
            if isinstance(path, str) and path and "://" not in path}


def _nav_target(path: str) -> str:
    return posixpath.normpath(path.strip()).lstrip("/")


def linked_paths(html: str, page_url: str) -> set[str]:
    """Site paths (`images/a.png`, percent-escapes decoded) the HTML of one page links to.

    `page_url` is the page's URL relative to the site root (`how-we-work/`, `index.html`,
    `""` for the home page); links are resolved against it. Links to other hosts and to
    `mailto:` and other schemes are not paths of the site.
    """
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    page = urljoin(_SITE_ORIGIN, page_url)
    paths = set()
    for target in collector.targets:
        resolved = urlsplit(urljoin(page, target.strip()))
        if f"{resolved.scheme}://{resolved.netloc}/" == _SITE_ORIGIN:
            paths.add(unquote(resolved.path).lstrip("/"))
    return paths


class _LinkCollector(HTMLParser):
    """Every URL in a link or embedding attribute of an HTML fragment, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in _URL_ATTRIBUTES:
                self.targets.append(value)
            elif name == "srcset":  # `a.png 1x, a@2x.png 2x`: the first word of each candidate
                self.targets.extend(words[0] for candidate in value.split(",")
                                    if (words := candidate.split()))
