"""The central promise, end to end: nothing internal ever reaches a public output file.

The leak fixture (`tests/fixtures/leaky_kb/`) plants a distinct private marker in every
private field and container and a distinct public marker in every public one (`markers.py`
says where). Built for real, strictly:

* the public site holds every public marker and no private one, in any file or file name,
  read every way a reader could read it (gunzipped, entities, escapes and JSON decoded);
* the internal site holds every marker, and shows every private text on its pages;
* drafts, `review` incidents and incidents without a public summary have no public trace.

Negative controls prove the leak guard fires at build level: a private value planted in page
meta, in the gzip sitemap, in the search index or in a stray copied file, and each deny
pattern, fails the build with a report naming file and field but never the value, and leaves
the previously published site exactly as it was.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import html
import importlib.util
import json
import re
import shutil
import unicodedata
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote

import pytest

from postmortem_kb.core.model import (
    PublicFollowUp,
    PublicIncident,
    PublicMeasure,
    PublicPhase,
    PublicTimelineEntry,
)
from postmortem_kb.search.browser_index import indexed_urls
from postmortem_kb.site.publish import BACKUP_MARK, STAGING_MARK
from postmortem_kb.site.search_box import SEARCH_INDEX_FOLDER
from site_builder import REPO_ROOT, BuildFailed, BuiltSite, build_site, copy_kb

LEAKY_KB = REPO_ROOT / "tests" / "fixtures" / "leaky_kb"
PUBLIC_ID = "pubmark-idalpha"
#: The incidents that must never be public: a draft, a `review` one, one without public text.
UNPUBLISHED_IDS = ("privmark-draftid", "privmark-reviewid", "privmark-nosumid")
#: Published with public text, but another company's incident (`type: external`).
EXTERNAL_ID = "privmark-externalid"
#: Every private marker starts with this, so no form of any of them may show publicly.
PRIVATE_PREFIX = "privmark"


def load_markers() -> ModuleType:
    """The fixture's `markers.py` (it sits outside any package)."""
    spec = importlib.util.spec_from_file_location("leaky_kb_markers", LEAKY_KB / "markers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MARKERS = load_markers()
PRIVATE_MARKERS: dict[str, str] = MARKERS.PRIVATE_MARKERS
PUBLIC_MARKERS: dict[str, str] = MARKERS.PUBLIC_MARKERS
#: Planted in `_template.md`: a template is never an incident, so no build shows these.
TEMPLATE_MARKERS = {m for m, where in PRIVATE_MARKERS.items() if where.startswith("_template.md")}


# -- reading a built site every way a reader could ---------------------------------------
# Written apart from `leakguard.py` on purpose (`_json_strings` has a twin there): this is
# the oracle the guard is checked against, so it must not share the guard's mistakes.

_ZERO_WIDTH = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_JS_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _normalised(text: str) -> str:
    return _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text)).lower()


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
            strings.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return strings


def _decodings(data: bytes) -> Iterator[str]:
    """The text of a file's bytes: as UTF-8, and as UTF-16 at both alignments (binaries)."""
    yield data.decode("utf-8", errors="replace")
    yield data.decode("utf-16-le", errors="replace")
    yield data[1:].decode("utf-16-le", errors="replace")


def _forms(text: str) -> Iterator[str]:
    """One text as written, with character references, percent- and JS escapes decoded, and
    as its JSON string values."""
    unescaped = html.unescape(text)
    yield text
    yield unescaped
    yield unquote(unescaped)
    yield html.unescape(_JS_ESCAPE.sub(lambda found: chr(int(found[1], 16)), text))
    strings = _json_strings(text)
    if strings is not None:
        yield html.unescape("\n".join(strings))


def site_readings(site: Path) -> list[tuple[str, str]]:
    """(path in the site, lower-cased text) for every file and folder name and every way its
    content can be read: gunzipped, decoded, unescaped — binary files included."""
    readings: list[tuple[str, str]] = []
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site).as_posix()
        readings.append((relative, _normalised(unquote(relative))))
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        readings.extend(
            (relative, _normalised(form)) for text in _decodings(data) for form in _forms(text)
        )
    return readings


def files_holding(readings: list[tuple[str, str]], marker: str) -> list[str]:
    return sorted({relative for relative, text in readings if marker.lower() in text})


class _VisibleText(HTMLParser):
    """What a person reads and follows on a page: text outside scripts and styles, and the
    addresses of links and images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")
        self.parts.extend(unquote(value) for name, value in attrs
                          if name in ("href", "src") and value and not self._hidden)

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style") and self._hidden > 0

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(page: Path) -> str:
    reader = _VisibleText()
    reader.feed(page.read_text(encoding="utf-8"))
    reader.close()
    return " ".join(reader.parts).lower()


# -- whole-site helpers shared with the atomic publication tests ---------------------------


def tree_digest(root: Path) -> str:
    """A hash of every file and folder name and every file's bytes under `root`."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        if path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build_leftovers(folder: Path) -> list[str]:
    """Staging folders and backups of a site left next to it."""
    return sorted(p.name for p in folder.iterdir() if STAGING_MARK in p.name
                  or BACKUP_MARK in p.name)


@dataclasses.dataclass(frozen=True)
class SiteSnapshot:
    """What a published site looked like, to prove a failed build left it alone."""

    site_dir: Path
    digest: str
    inode: int

    @classmethod
    def of(cls, site_dir: Path) -> SiteSnapshot:
        return cls(site_dir, tree_digest(site_dir), site_dir.stat().st_ino)

    def assert_untouched(self) -> None:
        """Byte for byte the same folder, and nothing left beside it."""
        assert tree_digest(self.site_dir) == self.digest, "the published site was changed"
        assert self.site_dir.stat().st_ino == self.inode, "the published site was replaced"
        assert build_leftovers(self.site_dir.parent) == []


# -- the two builds of the fixture, once per module ------------------------------------------


@pytest.fixture(scope="module")
def public_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    kb = copy_kb(LEAKY_KB, tmp_path_factory.mktemp("public") / "kb")
    return build_site(kb / "mkdocs.public.yml", kb / "site-public")


@pytest.fixture(scope="module")
def internal_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    kb = copy_kb(LEAKY_KB, tmp_path_factory.mktemp("internal") / "kb")
    return build_site(kb / "mkdocs.yml", kb / "site")


@pytest.fixture(scope="module")
def public_readings(public_site: BuiltSite) -> list[tuple[str, str]]:
    return site_readings(public_site.site_dir)


@pytest.fixture(scope="module")
def internal_readings(internal_site: BuiltSite) -> list[tuple[str, str]]:
    return site_readings(internal_site.site_dir)


def test_the_fixture_plants_what_this_module_relies_on() -> None:
    assert len(PRIVATE_MARKERS) > 50 and len(PUBLIC_MARKERS) > 10
    assert TEMPLATE_MARKERS
    assert all(marker.lower().startswith(PRIVATE_PREFIX) for marker in PRIVATE_MARKERS)
    assert not any(PRIVATE_PREFIX in marker.lower() for marker in PUBLIC_MARKERS)
    assert set(UNPUBLISHED_IDS) | {EXTERNAL_ID} <= set(PRIVATE_MARKERS)


class TestPublicBuild:
    def test_every_public_marker_is_published(
        self, public_readings: list[tuple[str, str]]
    ) -> None:
        missing = {marker: where for marker, where in PUBLIC_MARKERS.items()
                   if not files_holding(public_readings, marker)}
        assert not missing, f"public markers missing from the public site: {missing}"

    def test_no_private_marker_in_any_file_or_name_in_any_form(
        self, public_readings: list[tuple[str, str]]
    ) -> None:
        leaked = {
            f"{marker} ({where})": files_holding(public_readings, marker)
            for marker, where in PRIVATE_MARKERS.items()
            if files_holding(public_readings, marker)
        }
        assert not leaked, f"private markers in the public site: {leaked}"
        # Any fragment of any private marker, in any form (slugs, cut-off excerpts) too.
        traces = sorted({relative for relative, text in public_readings if PRIVATE_PREFIX in text})
        assert not traces, f"'{PRIVATE_PREFIX}' found in {traces}"

    def test_every_output_vector_was_read(self, public_site: BuiltSite) -> None:
        """The scan above covers pages, data files, the search index, gzip and assets."""
        names = {p.relative_to(public_site.site_dir).as_posix()
                 for p in public_site.site_dir.rglob("*")}
        for uri in (f"incidents/{PUBLIC_ID}/index.html", "search/search_index.json",
                    f"{SEARCH_INDEX_FOLDER}/manifest.json", f"{SEARCH_INDEX_FOLDER}/d0.json",
                    "sitemap.xml", "sitemap.xml.gz", "feed.xml", "feed.json", "incidents.json",
                    "404.html"):
            assert uri in names
        assert any(name.endswith((".png", ".svg", ".ico")) for name in names)  # binaries
        assert any(name.endswith(".js") for name in names)

    def test_unpublished_incidents_leave_no_trace(
        self, public_site: BuiltSite, public_readings: list[tuple[str, str]],
        internal_site: BuiltSite,
    ) -> None:
        for incident_id in UNPUBLISHED_IDS:
            # Each one is an incident with a page internally…
            assert (internal_site.site_dir / "incidents" / incident_id / "index.html").is_file()
            # …and publicly no page, no file named after it, no mention anywhere.
            assert not (public_site.site_dir / "incidents" / incident_id).exists()
            assert not files_holding(public_readings, incident_id), incident_id
        pages = sorted(p.name for p in (public_site.site_dir / "incidents").iterdir()
                       if p.is_dir())
        assert pages == [PUBLIC_ID]

    def test_an_external_incident_has_no_public_trace_though_published_with_public_text(
        self, public_site: BuiltSite, public_readings: list[tuple[str, str]],
        internal_readings: list[tuple[str, str]],
    ) -> None:
        assert files_holding(internal_readings, EXTERNAL_ID)
        assert not (public_site.site_dir / "incidents" / EXTERNAL_ID).exists()
        assert not files_holding(public_readings, EXTERNAL_ID)
        assert not files_holding(public_readings, "PRIVMARK-EXTPUBSUM")

    def test_data_files_list_only_the_public_incident_with_public_fields(
        self, public_site: BuiltSite
    ) -> None:
        data = json.loads(public_site.read("incidents.json"))
        assert set(data) == {"audience", "incidents"} and data["audience"] == "public"
        [incident] = data["incidents"]
        assert incident["id"] == PUBLIC_ID

        def names(cls: type) -> set[str]:
            return {field.name for field in dataclasses.fields(cls)}

        assert set(incident) <= names(PublicIncident)
        assert all(set(entry) <= names(PublicTimelineEntry) for entry in incident["timeline"])
        assert all(set(item) <= names(PublicFollowUp) for item in incident["follow_ups"])
        # Only the phase and the measure marked public, with their public fields.
        [phase] = incident["phases"]
        [measure] = incident["measures"]
        assert set(phase) <= names(PublicPhase) and set(measure) <= names(PublicMeasure)
        assert phase["note"] == "PUBMARK-PHASENOTE checkouts failed"
        assert (measure["what"], measure["value"], measure["unit"]) == (
            "PUBMARK-MEASURE checkouts failed", 78, "%",
        )
        assert incident["type"] == "incident"
        incident_url = f"incidents/{PUBLIC_ID}/"
        feed = json.loads(public_site.read("feed.json"))
        assert [item["url"].split("/", 3)[-1] for item in feed["items"]] == [incident_url]
        linked = re.findall(r"incidents/([^/<\"#]+)/", public_site.read("feed.xml")
                            + public_site.read("sitemap.xml"))
        assert set(linked) == {PUBLIC_ID}
        pieces = public_site.site_dir / SEARCH_INDEX_FOLDER
        found = indexed_urls({path.name: path.read_text("utf-8") for path in pieces.iterdir()})
        searched = set().union(*found.values())
        assert {loc for loc in searched if re.match(r"incidents/.+/", loc)} == {incident_url}


class TestInternalBuild:
    def test_every_marker_is_in_the_internal_site_but_the_templates(
        self, internal_readings: list[tuple[str, str]]
    ) -> None:
        expected = {m: w for m, w in {**PRIVATE_MARKERS, **PUBLIC_MARKERS}.items()
                    if m not in TEMPLATE_MARKERS}
        missing = {marker: where for marker, where in expected.items()
                   if not files_holding(internal_readings, marker)}
        assert not missing, f"markers missing from the internal site: {missing}"

    def test_a_template_is_never_published_in_either_build(
        self, internal_readings: list[tuple[str, str]],
        public_readings: list[tuple[str, str]],
    ) -> None:
        for readings in (internal_readings, public_readings):
            assert not {m: files_holding(readings, m) for m in TEMPLATE_MARKERS
                        if files_holding(readings, m)}
            assert not files_holding(readings, "_template")

    def test_internal_pages_show_every_private_text_to_the_author(
        self, internal_site: BuiltSite
    ) -> None:
        """"Internal shows everything" and marks what the public version drops: each private
        text is on an internal page a person reads (or follows, for links and ids), not only
        in a data file. Left out: templates, the source file name (not page content), the
        evidence image's bytes (shown as the image) and the `@handle` inside public text (the
        preview shows its role)."""
        not_page_text = {"privmark-filename-alpha", "PRIVMARK-IMAGEDATA", "privmark-handle"}
        shown = " ".join(visible_text(page) for page in internal_site.site_dir.rglob("*.html"))
        missing = {marker: where for marker, where in {**PRIVATE_MARKERS, **PUBLIC_MARKERS}.items()
                   if marker not in TEMPLATE_MARKERS | not_page_text
                   and marker.lower() not in shown}
        assert not missing, f"never shown on an internal page: {missing}"

    def test_evidence_file_is_copied_internally(self, internal_site: BuiltSite) -> None:
        figure = internal_site.site_dir / "incidents" / PUBLIC_ID / "evidence/privmark-figfile.png"
        assert b"PRIVMARK-IMAGEDATA" in figure.read_bytes()


# -- negative controls: the guard fires on a public build, and the site stays -----------------

#: A private value the leak guard scans for: a `services` entry of the public incident,
#: identifier-like (upper case with `-`), so `collect_private_strings` keeps it.
PLANTED = "PRIVMARK-SVC"
PLANTED_FIELD = "private field services of postmortems/privmark-filename-alpha.md"


@dataclasses.dataclass(frozen=True)
class PublishedKb:
    """A copy of the fixture whose public site is already published."""

    root: Path
    site: SiteSnapshot


@pytest.fixture
def published_kb(tmp_path: Path, public_site: BuiltSite) -> PublishedKb:
    root = copy_kb(LEAKY_KB, tmp_path / "kb")
    shutil.copytree(public_site.site_dir, root / "site-public")
    return PublishedKb(root, SiteSnapshot.of(root / "site-public"))


def failed_public_build(kb: PublishedKb, config: Path, **options: object) -> list[str]:
    """Build `config` over the published site, expecting failure; the log lines."""
    with pytest.raises(BuildFailed) as failure:
        build_site(config, kb.site.site_dir, **options)
    kb.site.assert_untouched()
    logs = failure.value.logs
    assert any(line.startswith("ERROR: ") and line.endswith(
        "The build failed; the previously published site was left in place.") for line in logs)
    return logs


def assert_reported(logs: list[str], file: str, kind: str) -> None:
    """Some error line names `file` and what matched there."""
    report = re.compile(rf"^ERROR: (?:\S+: )?{re.escape(file)}: {re.escape(kind)}: ")
    assert any(report.match(line) for line in logs), "\n".join(logs)


def planted_config(root: Path, extra: str) -> Path:
    config = root / "mkdocs.planted.yml"
    config.write_text(f"INHERIT: mkdocs.public.yml\n{extra}", encoding="utf-8")
    return config


def plant_in_page_meta(root: Path) -> tuple[Path, str]:
    (root / "overrides").mkdir()
    (root / "overrides" / "main.html").write_text(
        '{% extends "base.html" %}\n'
        f'{{% block extrahead %}}<meta name="x-owner" content="{PLANTED}">{{% endblock %}}\n',
        encoding="utf-8",
    )
    return planted_config(root, "theme:\n  custom_dir: overrides\n"), "index.html"


#: A hook's `on_post_build` runs after MkDocs wrote the sitemap and the search plugin (priority
#: 0) its index, and before the leak guard (-100): what it plants is what the guard must find.
HOOK = '''
import gzip, json
from pathlib import Path
from mkdocs.plugins import event_priority

@event_priority(-50)
def on_post_build(config):
    site = Path(config.site_dir)
{body}
'''

SITEMAP_HOOK = f'''
    path = site / "sitemap.xml.gz"
    xml = gzip.decompress(path.read_bytes()).decode()
    url = "<url><loc>https://status.example.org/{PLANTED}/</loc></url></urlset>"
    path.write_bytes(gzip.compress(xml.replace("</urlset>", url).encode(), mtime=0))
'''

SEARCH_HOOK = f'''
    path = site / "search" / "search_index.json"
    index = json.loads(path.read_text())
    index["docs"].append({{"location": "notes/", "title": "Notes", "text": "Ask {PLANTED}"}})
    path.write_text(json.dumps(index))
'''


def plant_with_hook(name: str, body: str, leaking_file: str) -> Callable[[Path], tuple[Path, str]]:
    def plant(root: Path) -> tuple[Path, str]:
        (root / f"{name}.py").write_text(HOOK.format(body=body), encoding="utf-8")
        return planted_config(root, f"hooks: [{name}.py]\n"), leaking_file

    return plant


def plant_stray_file(root: Path) -> tuple[Path, str]:
    """A file of `docs/` a public page links to (unlinked, the public build leaves it out)."""
    (root / "docs" / "notes.txt").write_text(f"Escalations go to {PLANTED}.\n", encoding="utf-8")
    index = root / "docs" / "index.md"
    index.write_text(f"{index.read_text(encoding='utf-8')}\n[Notes](notes.txt)\n", "utf-8")
    return root / "mkdocs.public.yml", "notes.txt"


@pytest.mark.parametrize(
    "plant",
    [
        pytest.param(plant_in_page_meta, id="page-meta"),
        pytest.param(plant_with_hook("sitemap_hook", SITEMAP_HOOK, "sitemap.xml.gz"),
                     id="gzip-sitemap"),
        pytest.param(plant_with_hook("search_hook", SEARCH_HOOK, "search/search_index.json"),
                     id="search-index"),
        pytest.param(plant_stray_file, id="stray-file"),
    ],
)
def test_a_private_value_in_any_output_fails_the_build_and_the_site_stays(
    published_kb: PublishedKb, plant: Callable[[Path], tuple[Path, str]]
) -> None:
    config, leaking_file = plant(published_kb.root)
    # No deny patterns: the private-string check alone must catch it.
    logs = failed_public_build(published_kb, config, deny=[])
    assert_reported(logs, leaking_file, PLANTED_FIELD)
    assert PLANTED.lower() not in "\n".join(logs).lower()


@pytest.mark.parametrize(
    ("text", "value", "rule", "deny"),
    [
        pytest.param("Write to oncall@corp.example for access.", "oncall@corp.example",
                     "e-mail address", None, id="email"),
        pytest.param("The jump host is 192.168.17.4 today.", "192.168.17.4",
                     "RFC 1918 address", None, id="rfc1918"),
        pytest.param("Ask @nightowl about it.", "@nightowl", "unresolved @handle", None,
                     id="handle"),
        pytest.param("Codename PROJECT-NIGHTJAR ships soon.", "PROJECT-NIGHTJAR",
                     "PROJECT-[A-Z]{4,}", ["PROJECT-[A-Z]{4,}"], id="configured"),
    ],
)
def test_each_deny_pattern_in_a_page_fails_the_build_and_the_site_stays(
    published_kb: PublishedKb, text: str, value: str, rule: str, deny: list[str] | None
) -> None:
    index = published_kb.root / "docs" / "index.md"
    index.write_text(f"{index.read_text(encoding='utf-8')}\n{text}\n", encoding="utf-8")
    options = {} if deny is None else {"deny": deny}
    logs = failed_public_build(published_kb, published_kb.root / "mkdocs.public.yml", **options)
    assert_reported(logs, "index.html", f"deny pattern {rule}")
    # The home page's result in the search box: the index's one chunk of this small site.
    assert_reported(logs, f"{SEARCH_INDEX_FOLDER}/d0.json", f"deny pattern {rule}")
    assert value.lower() not in "\n".join(logs).lower()


def plant_in_public_summary(root: Path, addition: str) -> None:
    source = root / "postmortems" / "privmark-filename-alpha.md"
    sentence = "PUBMARK-SUMMARY some checkout requests failed."
    text = source.read_text(encoding="utf-8")
    assert text.count(sentence) == 1
    source.write_text(text.replace(sentence, f"{sentence} {addition}"), encoding="utf-8")


def test_a_denied_value_in_public_text_fails_the_build_and_the_site_stays(
    published_kb: PublishedKb,
) -> None:
    plant_in_public_summary(published_kb.root, "The database at 10.20.30.40 lost its disk.")
    logs = failed_public_build(published_kb, published_kb.root / "mkdocs.public.yml")
    for file in (f"incidents/{PUBLIC_ID}/index.html", "incidents.json", "feed.xml"):
        assert_reported(logs, file, "deny pattern RFC 1918 address")
    assert "10.20.30.40" not in "\n".join(logs)


def test_an_unresolved_handle_in_public_text_fails_at_projection_and_the_site_stays(
    published_kb: PublishedKb,
) -> None:
    plant_in_public_summary(published_kb.root, "Thanks to @nightowl for the fix.")
    logs = failed_public_build(published_kb, published_kb.root / "mkdocs.public.yml")
    problem = re.compile(
        r"postmortems/privmark-filename-alpha\.md:\d+: public\.summary: @nightowl has no role"
    )
    assert any(problem.search(line) for line in logs), "\n".join(logs)
