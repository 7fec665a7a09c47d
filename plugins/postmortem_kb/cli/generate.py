"""`pmkb generate`: one audience's whole site as plain sources any MkDocs-compatible engine builds.

The plugin path stays the primary one; this one outlives it. MkDocs 2.0 is announced without
plugins and Zensical ignores third-party ones, so a knowledge base must not need our plugin
to be published. `generate` runs the same pipeline as the plugin (`plan_site`) and writes
what the plugin would have handed MkDocs: every generated page as Markdown with its HTML
blocks already in place (filled and sanitized, internal parts already cut for the public),
the hand-written pages of the audience, the evidence files, our CSS/JS, the data files
(feeds, `incidents.json`) written directly, and a `mkdocs.yml` that names none of our
plugins. `pmkb guard` then checks whatever an engine built from it.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown
import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.utils.yaml import yaml_load

from ..core.problems import Problem
from ..core.sanitize import MARKDOWN_TABLES_CONFIG, sanitize_html
from ..core.settings import Settings
from ..site.assets import add_assets, packaged_assets
from ..site.hand_written import files_named_by_config, linked_paths
from ..site.plan import SitePlan, plan_site

#: Left in every folder `generate` writes: only such a folder is emptied and written again.
MARKER_FILE = ".pmkb-generated"
#: Top-level keys of the source config that are not carried over: our plugins (and hooks,
#: which run code), the folders (the output has its own), and the keys written anew.
_NOT_CARRIED = frozenset({"plugins", "hooks", "docs_dir", "site_dir", "watch", "theme", "nav",
                          "markdown_extensions", "extra_css", "extra_javascript"})


class GenerateError(Exception):
    """The sources cannot be written; `problems` lists the public-text problems, if any."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class GeneratedSite:
    """What `generate_site` wrote under `out_dir`."""

    out_dir: Path
    pages: int
    files: int

    @property
    def config_file(self) -> Path:
        return self.out_dir / "mkdocs.yml"


def generate_site(config: MkDocsConfig, settings: Settings, out_dir: Path) -> GeneratedSite:
    """Write `settings.audience`'s site as plain sources into `out_dir` (`docs/` + `mkdocs.yml`).

    A public site with errors in public text is refused, as the public build refuses it:
    text that cannot be made safe is never written where an engine would publish it.
    """
    overrides = Path(config.config_file_path).parent / "overrides"
    plan = plan_site(settings, overrides)
    if settings.is_public and plan.view.public_errors:
        raise GenerateError(
            f"the public site cannot be generated safely: {len(plan.view.public_errors)} "
            "problem(s) in public text (listed above)", plan.view.public_errors)
    _prepare(out_dir)
    docs = out_dir / "docs"
    pages = {uri: page.resolved() for uri, page in plan.pages.items()}
    written = {page.uri: page.text for page in plan.hand_written
               if page.is_for(settings.audience) and page.uri not in pages}
    pages.update(written)
    to_html = _SanitizedHtml(config)
    for uri, text in pages.items():
        _write(docs / uri, to_html.page(text))
    files = {**packaged_assets(), **plan.files,
             **_docs_files(config, settings, pages if settings.is_public else None)}
    for uri, source in files.items():
        (docs / uri).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, docs / uri)
    for uri, text in plan.data_files.items():
        _write(docs / uri, text)
    if isinstance(config.theme.custom_dir, str) and Path(config.theme.custom_dir).is_dir():
        shutil.copytree(config.theme.custom_dir, out_dir / "overrides")
    left_out = [page.uri for page in plan.hand_written if page.uri not in written]
    _write(out_dir / "mkdocs.yml", plain_config(config, plan, left_out))
    return GeneratedSite(out_dir, len(pages), len(files) + len(plan.data_files))


def _prepare(out_dir: Path) -> None:
    """Empty `out_dir` if `generate` wrote it before; refuse any other non-empty folder."""
    if out_dir.exists() and not out_dir.is_dir():
        raise GenerateError(f"{out_dir}: not a folder; expected a new or empty folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not (out_dir / MARKER_FILE).is_file():
            raise GenerateError(f"{out_dir}: not empty and not written by pmkb generate; "
                                "expected a new or empty folder")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER_FILE).write_text("Written by pmkb generate: emptied by the next run.\n",
                                       encoding="utf-8")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _docs_files(
    config: MkDocsConfig, settings: Settings, public_pages: dict[str, str] | None
) -> dict[str, Path]:
    """uri → file of the non-Markdown files of `docs/` the audience's site carries.

    Internal: all of them, as MkDocs copies them. Public (`public_pages` given): only those
    a public page links to or the config names, as the plugin's public build keeps them.
    The pages are all `docs/`-relative sources or `<section>/<slug>/index.md`, so links in
    their HTML resolve against their source path as they would against their URL.
    """
    if settings.docs_dir is None or not settings.docs_dir.is_dir():
        return {}
    files = {path.relative_to(settings.docs_dir).as_posix(): path
             for path in sorted(settings.docs_dir.rglob("*"))
             if path.is_file() and not path.suffix.lower().startswith(".md")
             and not any(part.startswith(".")
                         for part in path.relative_to(settings.docs_dir).parts)}
    if public_pages is None:
        return files
    renderer = markdown.Markdown(extensions=config.markdown_extensions,
                                 extension_configs=config.mdx_configs)
    linked = files_named_by_config(config)
    for uri, text in public_pages.items():
        linked |= linked_paths(renderer.reset().convert(text), uri)
    return {uri: path for uri, path in files.items() if uri in linked}


class _SanitizedHtml:
    """A page's Markdown as the sanitized HTML the plugin would have given the theme.

    Another engine renders author Markdown with its own extensions and no sanitizer: raw
    HTML, attribute lists and `javascript:` links an internal author wrote would come alive
    there. So every page is rendered here, with the site's own Markdown extensions, passed
    through the one sanitizer, and written as HTML the engine passes through as it is; its
    front matter (title, search settings) stays. Links between pages are source paths
    (`../tags/dns/index.md`), which MkDocs rewrites only in Markdown: they are written as
    the URLs it would have made. The page's table of contents is what an engine cannot
    build from HTML.
    """

    _FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
    _PAGE_LINK = re.compile(r'(\s(?:href|src)=")(?![a-z][a-z0-9+.-]*:|/|#)([^"#?]*?)\.md([#?"])')

    def __init__(self, config: MkDocsConfig) -> None:
        self.directory_urls = bool(config.use_directory_urls)
        self.markdown = markdown.Markdown(
            extensions=config.markdown_extensions, extension_configs=config.mdx_configs
        )

    def page(self, text: str) -> str:
        front = self._FRONT_MATTER.match(text)
        head, body = (front.group(), text[front.end():]) if front else ("", text)
        self.markdown.reset()
        html = sanitize_html(self.markdown.convert(body))
        return f"{head}\n<div class=\"pmkb-generated\">\n{self._page_links(html)}\n</div>\n"

    def _page_links(self, html: str) -> str:
        def url(match: re.Match[str]) -> str:
            path = match.group(2)
            if path == "index" or path.endswith("/index"):
                path = path.removesuffix("index")
            elif self.directory_urls:
                path += "/"
            else:
                path += ".html"
            if not self.directory_urls and (path == "" or path.endswith("/")):
                path += "index.html"
            return f"{match.group(1)}{path or './'}{match.group(3)}"

        return self._PAGE_LINK.sub(url, html)


def plain_config(config: MkDocsConfig, plan: SitePlan, left_out: list[str]) -> str:
    """The `mkdocs.yml` of the generated sources: the source config's site keys (`not_in_nav`
    too), theme, nav (without the left-out pages) and Markdown extensions; our assets; no
    plugin of ours (only `search`, if the source has it).

    Read from the source file itself (with its `INHERIT`), not from the loaded config, so
    the theme is written as the author wrote it rather than with every default filled in.
    """
    with open(config.config_file_path, "rb") as source:
        raw: dict[str, Any] = yaml_load(source)
    plain = {key: value for key, value in raw.items() if key not in _NOT_CARRIED}
    plain["docs_dir"] = "docs"
    plain["site_dir"] = "site"
    theme = raw.get("theme", "mkdocs")
    if isinstance(theme, dict) and "custom_dir" in theme:
        theme = {**theme, "custom_dir": "overrides"}
    plain["theme"] = theme
    if config.nav is not None:
        plain["nav"] = plan.audience_nav(config.nav, left_out)
    plain["markdown_extensions"] = _markdown_extensions(raw.get("markdown_extensions") or [])
    extra_css, extra_javascript = list(raw.get("extra_css") or []), list(
        raw.get("extra_javascript") or [])
    add_assets(extra_css, extra_javascript)
    plain["extra_css"], plain["extra_javascript"] = extra_css, extra_javascript
    plugins = raw.get("plugins") or {}
    if "search" in plugins:
        search = plugins.get("search") if isinstance(plugins, dict) else None
        plain["plugins"] = {"search": search or {}}
    else:
        plain["plugins"] = []
    header = (f"# Written by pmkb generate for the {plan.settings.audience} audience: build it "
              "with any MkDocs-compatible engine.\n")
    return header + yaml.safe_dump(plain, sort_keys=False, allow_unicode=True)


def _markdown_extensions(extensions: list[Any]) -> list[Any]:
    """The source's extensions, `tables` aligning columns with `align` as the plugin has it
    (the sanitizer drops `style`)."""
    written = []
    for item in extensions:
        if item == "tables" or (isinstance(item, dict) and "tables" in item):
            options = item["tables"] if isinstance(item, dict) else None
            item = {"tables": {**(options or {}), **MARKDOWN_TABLES_CONFIG}}
        written.append(item)
    return written
