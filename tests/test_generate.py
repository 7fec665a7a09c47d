"""`pmkb generate` and `pmkb guard`: the example knowledge base built without our plugin.

Both audiences are generated once per module and built with plain MkDocs in a subprocess
whose config names no plugin of ours; an incident page then reads the same as in the plugin
build (`example_sites`), and the guard checks the plain public site as the plugin would.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from mkdocs.config import load_config

from html_safety import unsafe_markup
from postmortem_kb.cli.engine_check import plugin_engine_warning
from postmortem_kb.cli.generate import MARKER_FILE, generate_site
from postmortem_kb.cli.main import main, settings_for
from site_builder import REPO_ROOT, copy_kb

CONFIGS = {"internal": "mkdocs.yml", "public": "mkdocs.public.yml"}
#: Incidents of the example with a public report (so on both sites).
INCIDENTS = ["2019-07-02-waf-regex-outage", "2021-11-09-lumen-pay-unreachable",
             "2019-07-29-incorrect-balances-after-database-expansion"]


@pytest.fixture(scope="module")
def example_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_kb(REPO_ROOT, tmp_path_factory.mktemp("kb"))


@pytest.fixture(scope="module")
def plain_sites(example_kb: Path) -> dict[str, Path]:
    """audience → the generated sources' folder, built by plain MkDocs into its `site/`."""
    built = {}
    for audience, name in CONFIGS.items():
        config = load_config(config_file=str(example_kb / name))
        options = config.plugins["postmortems"].config
        options["build_date"] = "2026-11-23"  # the plugin build's (`site_builder.build_site`)
        options["cache_dir"] = str(example_kb / f".cache-{audience}")
        out = example_kb / f"generated-{audience}"
        generate_site(config, settings_for(config), out)
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f",
                        str(out / "mkdocs.yml"), "-d", str(out / "site")], check=True)
        built[audience] = out
    return built


class _ArticleText(HTMLParser):
    """The words of a page's `<article>`, without the heading permalinks (`¶`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.words: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article" or self.depth:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.words.extend(word for word in data.split() if word != "¶")


def article_text(page: Path) -> list[str]:
    parser = _ArticleText()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.words


@pytest.mark.parametrize("audience", ["internal", "public"])
@pytest.mark.parametrize("incident", INCIDENTS)
def test_an_incident_page_reads_the_same_as_in_the_plugin_build(
    plain_sites: dict[str, Path], example_sites: dict[str, Path], audience: str, incident: str
) -> None:
    uri = f"incidents/{incident}/index.html"
    plain = article_text(plain_sites[audience] / "site" / uri)
    assert plain, f"{uri}: no article text"
    assert plain == article_text(example_sites[audience] / uri)


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_the_plain_site_has_every_page_and_data_file_of_the_plugin_build(
    plain_sites: dict[str, Path], example_sites: dict[str, Path], audience: str
) -> None:
    def outputs(site: Path) -> set[str]:
        """Pages, data files, evidence and our assets: not the theme's files, not search's."""
        found = {path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file()}
        return {uri for uri in found if not uri.startswith(("assets/", "search/"))
                or uri.startswith("assets/pmkb/")}

    plain = outputs(plain_sites[audience] / "site")
    assert outputs(example_sites[audience]) - plain == set()
    assert {"feed.xml", "feed.json", "incidents.json"} <= plain


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_the_generated_config_names_no_plugin_of_ours(
    plain_sites: dict[str, Path], audience: str
) -> None:
    config = yaml.safe_load((plain_sites[audience] / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["plugins"] == {"search": {}}
    assert config["theme"]["font"] is False
    assert "assets/pmkb/pmkb.css" in config["extra_css"]


def test_the_public_sources_hold_no_internal_page(plain_sites: dict[str, Path]) -> None:
    docs = plain_sites["public"] / "docs"
    assert not (docs / "how-we-work.md").exists()
    assert not (docs / "insights").exists()
    assert "How we work" not in (plain_sites["public"] / "mkdocs.yml").read_text("utf-8")


def test_guard_passes_a_clean_plain_public_site(
    plain_sites: dict[str, Path], example_kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = plain_sites["public"] / "site"
    assert main(["-f", str(example_kb / CONFIGS["public"]), "guard", str(site)]) == 0
    assert "no private data" in capsys.readouterr().out


def test_guard_fails_on_a_planted_private_value(
    plain_sites: dict[str, Path], example_kb: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    subprocess.run(["cp", "-r", str(plain_sites["public"] / "site"), str(site)], check=True)
    page = site / "gallery" / "index.html"
    # An internal service name of the WAF incident: never on its public report.
    page.write_text(page.read_text("utf-8") + "<p>edge-proxy</p>", encoding="utf-8")
    assert main(["-f", str(example_kb / CONFIGS["public"]), "guard", str(site)]) == 1
    leaks = [line for line in capsys.readouterr().err.splitlines() if line.startswith("leak:")]
    assert len(leaks) == 1
    assert "gallery/index.html" in leaks[0]


def test_guard_fails_on_a_folder_with_no_html(
    example_kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("not a site", encoding="utf-8")
    assert main(["-f", str(example_kb / CONFIGS["public"]), "guard", str(tmp_path)]) == 1
    expected = f"pmkb: {tmp_path}: no HTML file in it; expected a built site\n"
    assert capsys.readouterr().err == expected


def test_generate_refuses_a_folder_it_did_not_write(
    example_kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "thesis.md").write_text("mine", encoding="utf-8")
    assert main(["-f", str(example_kb / CONFIGS["public"]), "generate", "--audience", "public",
                 "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (f"pmkb: {tmp_path}: not empty and not written by pmkb "
                                       "generate; expected a new or empty folder\n")
    assert (tmp_path / "thesis.md").read_text("utf-8") == "mine"


def test_generate_writes_again_where_it_wrote_before(example_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    arguments = ["-f", str(example_kb / CONFIGS["public"]), "generate", "--audience", "public",
                 "--out", str(out)]
    assert main(arguments) == 0
    (out / "docs" / "stale.md").write_text("gone next time", encoding="utf-8")
    assert main(arguments) == 0
    assert (out / MARKER_FILE).is_file()
    assert not (out / "docs" / "stale.md").exists()


@pytest.mark.parametrize(("versions", "expected"), [
    ({"mkdocs": "1.6.1", "mkdocs-material": "9.8.2"}, None),
    ({"mkdocs": "2.0.0", "mkdocs-material": "9.8.2"}, "MkDocs 2.0.0 has no plugin system"),
    ({"mkdocs": "1.6.1"}, "mkdocs-material is not installed"),
])
def test_check_warns_when_the_plugin_would_not_run(
    monkeypatch: pytest.MonkeyPatch, versions: dict[str, str], expected: str | None
) -> None:
    def version(distribution: str) -> str:
        if distribution not in versions:
            raise importlib.metadata.PackageNotFoundError(distribution)
        return versions[distribution]

    monkeypatch.setattr(importlib.metadata, "version", version)
    warning = plugin_engine_warning()
    if expected is None:
        assert warning is None
    else:
        assert warning is not None and warning.startswith(expected)


def test_author_html_is_sanitized_before_another_engine_renders_it(tmp_path: Path) -> None:
    """An engine has no sanitizer of ours: generate writes every page as sanitized HTML, so
    raw HTML, attribute-list handlers and `javascript:` links an internal author wrote are
    gone before the engine's Markdown sees them."""
    kb = copy_kb(REPO_ROOT, tmp_path / "kb")
    payloads = ("<img src=x onerror=window.__pwned=1>", "![x](y.png){onerror=window.__pwned=1}",
                "[status](javascript:window.__pwned=1)")  # fmt: skip
    incident = kb / "postmortems" / "2015-06-01-double-charge-overlapping-job.md"
    text = incident.read_text(encoding="utf-8")
    incident.write_text(text.rstrip("\n") + "\n\n" + "\n\n".join(payloads) + "\n", "utf-8")
    config = load_config(config_file=str(kb / "mkdocs.yml"))
    config.plugins["postmortems"].config["cache_dir"] = str(kb / ".cache")
    out = kb / "generated"
    generate_site(config, settings_for(config), out)
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f",
                    str(out / "mkdocs.yml"), "-d", str(out / "site")], check=True)
    page = (out / "site" / "incidents" / "2015-06-01-customers-charged-twice" / "index.html")
    html = page.read_text(encoding="utf-8")
    assert "window.__pwned=1" in html  # the payloads reached the page, as text
    assert unsafe_markup(html, whole_page=True) == []
    for other in (out / "site").rglob("*.html"):
        assert unsafe_markup(other.read_text(encoding="utf-8"), whole_page=True) == [], other


def test_zensical_builds_the_generated_sources(plain_sites: dict[str, Path]) -> None:
    """Zensical, which runs no third-party plugin, builds every page plain MkDocs built."""
    zensical = Path(sys.executable).parent / "zensical"
    for audience, out in plain_sites.items():
        copy = out.parent / f"zensical-{audience}"
        shutil.copytree(out, copy, ignore=shutil.ignore_patterns("site"))
        subprocess.run([str(zensical), "build", "-f", str(copy / "mkdocs.yml")], check=True,
                       capture_output=True, cwd=copy)
        built = sorted(p.relative_to(copy / "site").as_posix()
                       for p in (copy / "site").rglob("index.html"))
        expected = sorted(p.relative_to(out / "site").as_posix()
                          for p in (out / "site").rglob("index.html"))
        assert built == expected
        incident = "incidents/2017-01-31-dashboard-data-loss/index.html"
        assert article_text(copy / "site" / incident) == article_text(out / "site" / incident)
