"""The leak guard: every output file and file name is scanned, in every form it can be read
in; built-in and configured deny patterns and private strings are found, reports never repeat
what they found, and a clean site — mkdocs-material's own assets included — passes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import importlib.util
import json
import re
import shutil
import struct
import types
import typing
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from postmortem_kb.core.model import Evidence, FollowUp, Incident, PublicIncident
from postmortem_kb.public.deny import Leak, compile_deny
from postmortem_kb.public.private_strings import collect_private_strings
from postmortem_kb.public.projection import project_public
from postmortem_kb.public.scan import VendoredFiles, scan_site
from test_public_projection import marked_incident_fields, public_view, settings

SECRET = "db-primary-eu7.corp"  # a private value, as collect_private_strings would return it
PRIVATE = {SECRET: "private field services of postmortems/x.md"}
NO_VENDORED = VendoredFiles({})


def make_site(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def scan(root: Path, files: dict[str, str | bytes], deny: tuple[str, ...] = ()) -> list[Leak]:
    return scan_site(make_site(root, files), deny, PRIVATE, vendored=NO_VENDORED)


def page(body: str) -> str:
    return f"<!doctype html><html><head><title>T</title></head><body>{body}</body></html>"


def png_with_text(text: str) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + text.encode("latin-1"))
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


class TestPrivateStringsAreFoundWhereverTheyHide:
    @pytest.mark.parametrize(
        ("name", "content"),
        [
            pytest.param(
                "incidents/a/index.html",
                page(f'<meta name="description" content="{SECRET}">'),
                id="html-meta-tag",
            ),
            pytest.param("index.html", page("<p>db-primary-eu7&#46;corp</p>"), id="html-entity"),
            pytest.param("index.html", page("<p>DB-Primary-EU7.corp</p>"), id="other-case"),
            pytest.param(
                "sitemap.xml.gz",
                gzip.compress(f"<urlset><loc>{SECRET}</loc></urlset>".encode(), mtime=0),
                id="sitemap-gzip",
            ),
            pytest.param(
                "search/search_index.json",
                json.dumps({"docs": [{"text": SECRET}]}).replace(".", "\\u002e"),
                id="search-index-json-escapes",
            ),
            pytest.param(
                "feed.json",
                '{"url": "https:\\/\\/x\\/db-primary-eu7.corp\\/"}',
                id="json-escaped-slashes",
            ),
            pytest.param(
                "feed.xml",
                f"<rss><description><![CDATA[<p>{SECRET}</p>]]></description></rss>",
                id="feed-cdata",
            ),
            pytest.param("notes/copied.txt", f"stray copy: {SECRET}\n", id="stray-text-file"),
            pytest.param("assets/extra.js", f"const host = '{SECRET}';", id="javascript"),
            pytest.param(
                "assets/escaped.js",
                "const host = '\\u0064b-primary-eu7\\x2ecorp';",
                id="javascript-escapes",
            ),
            pytest.param(
                "incidents/a/figure.png", png_with_text(f"host={SECRET}"), id="png-text-chunk"
            ),
            pytest.param(
                "incidents/a/font.woff2",
                b"\x00\x01" + SECRET.encode("utf-16-le") + b"\x00\xff",
                id="binary-utf16",
            ),
            pytest.param(
                "incidents/b/index.html",
                page("<p>db-primary-eu7%2Ecorp%20x</p>"),
                id="percent-encoded",
            ),
        ],
    )
    def test_planted_value_is_found(self, tmp_path: Path, name: str, content: str | bytes) -> None:
        [leak] = scan(tmp_path, {name: content})
        assert leak.file == name
        assert leak.kind == "private field services of postmortems/x.md"
        assert SECRET not in str(leak).lower()

    @pytest.mark.parametrize(
        "name",
        [
            "db-primary-eu7.corp.html",
            "db-primary-eu7.corp/index.html",
            "a/db-primary-eu7%2Ecorp.txt",
        ],
    )
    def test_file_and_folder_names_are_scanned(self, tmp_path: Path, name: str) -> None:
        [leak] = scan(tmp_path, {name: "clean"})
        assert leak.kind == "file name: private field services of postmortems/x.md"
        assert "[redacted]" in leak.file
        assert SECRET not in str(leak).lower() and "%2ecorp" not in str(leak).lower()

    def test_whole_words_only(self, tmp_path: Path) -> None:
        assert scan(tmp_path, {"index.html": page("<p>xdb-primary-eu7.corporate</p>")}) == []

    def test_one_leak_per_file_and_value(self, tmp_path: Path) -> None:
        leaks = scan(tmp_path, {"index.html": page(f"<p>{SECRET}</p>" * 5 + SECRET)})
        assert len(leaks) == 1


class TestBuiltInDenyPatterns:
    @pytest.mark.parametrize(
        ("text", "kind"),
        [
            ("mail ops.team+pm@corp.example.com now", "deny pattern e-mail address"),
            (
                "obfuscated &#111;&#64;&#99;&#111;&#114;&#112;&#46;&#105;&#111;",
                "deny pattern e-mail address",
            ),
            ("host 10.20.30.40 down", "deny pattern RFC 1918 address"),
            ("host 172.16.0.1 down", "deny pattern RFC 1918 address"),
            ("host 172.31.255.254 down", "deny pattern RFC 1918 address"),
            ("host 192.168.1.1.", "deny pattern RFC 1918 address"),
            ("subnet 10.0.0.0/8", "deny pattern RFC 1918 address"),
            ("ping @carol now", "deny pattern unresolved @handle"),
        ],
    )
    def test_each_pattern_fires(self, tmp_path: Path, text: str, kind: str) -> None:
        [leak] = scan(tmp_path, {"index.html": page(f"<p>{text}</p>")})
        assert leak.kind == kind
        assert "carol" not in leak.excerpt_redacted and "10.20" not in leak.excerpt_redacted

    @pytest.mark.parametrize(
        "text",
        [
            "172.32.0.1",
            "172.15.0.1",
            "10.0.0.256",
            "version 1.10.2.3",
            "build 10.1.2.3.4",
            "192.169.1.1",
            "8.8.8.8",
            '<img src="logo@2x.png" alt="Logo">',
            "<code>@retry</code> and <pre>@decorator\nx</pre>",
            "<script>const a = '@media';</script><style>@media print {}</style>",
            "see https://social.example/@someone",
        ],
    )
    def test_near_misses_do_not_fire(self, tmp_path: Path, text: str) -> None:
        assert scan(tmp_path, {"index.html": page(f"<p>{text}</p>")}) == []

    def test_handles_are_not_looked_for_in_css_or_javascript(self, tmp_path: Path) -> None:
        files: dict[str, str | bytes] = {
            "assets/site.css": "@import url(x.css); @media (max-width: 1px) { a { b: c } }",
            "assets/site.js": "/** @param {string} a @license MIT */ import x from '@scope/pkg';",
        }
        assert scan(tmp_path, files) == []

    def test_handles_in_search_index_text_but_not_its_code(self, tmp_path: Path) -> None:
        index = {"docs": [{"text": "<p>ask @carol</p> <pre><code>@retry\n</code></pre>"}]}
        [leak] = scan(tmp_path, {"search/search_index.json": json.dumps(index)})
        assert leak.kind == "deny pattern unresolved @handle"

    def test_handles_in_markdown_json_outside_code(self, tmp_path: Path) -> None:
        data = [{"summary": "We use `@retry`."}, {"summary": "Thanks @dave_x."}]
        [leak] = scan(tmp_path, {"incidents.json": json.dumps(data)})
        assert leak.kind == "deny pattern unresolved @handle"

    def test_handles_in_feed_html_are_read_as_html(self, tmp_path: Path) -> None:
        item = "&lt;p&gt;&lt;code&gt;@retry&lt;/code&gt; @erin&lt;/p&gt;"
        feed = f"<rss><description>{item}</description></rss>"
        [leak] = scan(tmp_path, {"feed.xml": feed})
        assert leak.kind == "deny pattern unresolved @handle"


class TestConfiguredDenyPatterns:
    def test_a_configured_pattern_fires_with_its_name(self, tmp_path: Path) -> None:
        [leak] = scan(tmp_path, {"index.html": page("Project FALCON")}, deny=("FALCON|HAWK",))
        assert leak.kind == "deny pattern FALCON|HAWK"
        assert "<body>Project [redacted]</body>" in leak.excerpt_redacted

    def test_invalid_patterns_are_refused_with_a_message(self) -> None:
        with pytest.raises(ValueError, match="not a valid regular expression"):
            compile_deny(["(unclosed"])
        with pytest.raises(ValueError, match="matches empty text"):
            compile_deny(["x*"])


class TestVendoredThemeFiles:
    def material_assets(self) -> Path:
        spec = importlib.util.find_spec("material")
        assert spec is not None and spec.submodule_search_locations
        return Path(spec.submodule_search_locations[0], "templates", "assets")

    def test_mkdocs_material_assets_are_clean(self, tmp_path: Path) -> None:
        shutil.copytree(self.material_assets(), tmp_path / "assets")
        assert scan_site(tmp_path, [r"(?i)secret"], PRIVATE) == []

    def test_they_would_fail_without_the_vendored_check(self, tmp_path: Path) -> None:
        # The control for the test above: the theme's licence headers carry e-mail addresses,
        # the comments in its source map `127.0.0.1`.
        shutil.copytree(self.material_assets(), tmp_path / "assets")
        kinds = {leak.kind for leak in scan_site(tmp_path, [], {}, vendored=NO_VENDORED)}
        assert kinds == {"deny pattern e-mail address", "deny pattern loopback address"}

    def test_a_changed_theme_file_is_scanned(self, tmp_path: Path) -> None:
        shutil.copytree(self.material_assets(), tmp_path / "assets")
        bundle = next((tmp_path / "assets" / "javascripts").glob("bundle.*.min.js"))
        bundle.write_text(bundle.read_text(encoding="utf-8") + f"//{SECRET}", encoding="utf-8")
        [leak] = scan_site(tmp_path, [], PRIVATE)
        assert leak.file == bundle.relative_to(tmp_path).as_posix()


class TestReports:
    def test_excerpt_masks_every_match_around_the_one_reported(self, tmp_path: Path) -> None:
        text = f"<p>owner ops@corp.example.com runs {SECRET} at 10.1.1.1</p>"
        leaks = scan(tmp_path, {"index.html": page(text)})
        assert {leak.kind for leak in leaks} == {
            "deny pattern e-mail address",
            "deny pattern RFC 1918 address",
            "private field services of postmortems/x.md",
        }
        for leak in leaks:
            report = str(leak).lower()
            assert SECRET not in report and "ops@corp" not in report and "10.1.1.1" not in report
            assert report.startswith("index.html: ")

    def test_clean_site_has_no_leaks(self, tmp_path: Path) -> None:
        files: dict[str, str | bytes] = {
            "index.html": page("<p>Incident on 2024-03-05: the API was slow for 20 minutes.</p>"),
            "sitemap.xml": "<urlset><url><loc>https://status.example.org/</loc></url></urlset>",
        }
        assert scan(tmp_path, files) == []


def strings_in(value: object) -> Iterator[str]:
    """Every string held anywhere in a model object."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from strings_in(getattr(value, field.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, tuple):
        for item in value:
            yield from strings_in(item)


def public_and_internal(*incidents: Incident) -> dict[str, str]:
    public = [p for i in incidents if (p := project_public(i, settings()).incident) is not None]
    return collect_private_strings(incidents, public, also_public=("pubtag_c4e",))


class TestCollectPrivateStrings:
    def private_markers(self, incident: Incident) -> set[str]:
        # Every private value carries "private"; trigger is a vocabulary word, not scanned.
        words = (word for text in strings_in(incident) for word in re.split(r"[\s\[\]{}]+", text))
        return {
            word.strip(".,")
            for word in words
            if "private" in word.lower() and "TRIGGER" not in word
        }

    def test_every_private_marker_would_be_caught(self, tmp_path: Path) -> None:
        incident = Incident(**marked_incident_fields())
        markers = self.private_markers(incident)
        assert len(markers) > 30
        files: dict[str, str | bytes] = {
            f"page{number}.html": page(f"<p>{marker}</p>")
            for number, marker in enumerate(sorted(markers))
        }
        leaks = scan_site(
            make_site(tmp_path, files), [], public_and_internal(incident), vendored=NO_VENDORED
        )
        missed = sorted(set(markers) - {sorted(markers)[int(leak.file[4:-5])] for leak in leaks})
        assert missed == []

    def test_public_text_is_never_collected(self) -> None:
        incident = Incident(**marked_incident_fields())
        collected = " ".join(public_and_internal(incident)).lower()
        assert (
            "public_" not in collected
            and "pubtag" not in collected
            and "pub-id-91d" not in collected
        )

    def test_a_private_value_that_is_also_public_is_dropped(self) -> None:
        fields = marked_incident_fields() | {
            "title": "PUBLIC_TITLE_a81",
            "services": ("PUBLIC_SERVICE_b3e", "payments-api"),
        }
        collected = public_and_internal(Incident(**fields))
        assert "PUBLIC_TITLE_a81" not in collected and "PUBLIC_SERVICE_b3e" not in collected
        assert (
            collected["payments-api"] == "private field services of postmortems/private-file-0e2.md"
        )

    def test_a_value_whose_words_are_public_is_dropped_as_a_slug(self) -> None:
        # The site turns the public "Merchant dashboard" into services/merchant-dashboard/.
        fields = marked_incident_fields() | {
            "services": ("merchant-dashboard", "ledger-db"),
            "public": public_view(services=("Merchant dashboard",)),
        }
        collected = public_and_internal(Incident(**fields))
        assert "merchant-dashboard" not in collected and "ledger-db" in collected

    def test_plain_words_and_short_values_are_not_scanned_for(self) -> None:
        fields = marked_incident_fields() | {
            "services": ("billing", "search", "db"),
            "contributors": ("Slow disk", "TODO", "2024-03-05", "e.g."),
        }
        collected = public_and_internal(Incident(**fields))
        for word in ("billing", "search", "db", "Slow disk", "TODO", "2024-03-05", "e.g."):
            assert word not in collected

    def test_hyphenated_words_are_names_only_in_name_fields(self) -> None:
        fields = marked_incident_fields() | {
            "services": ("edge-proxy",),
            "evidence": (Evidence("Latency graph", file="latency-graph"),),
            "follow_ups": (FollowUp("Add a dry run", owner="team-dns"),),
            "body": "Paged the **on-call** engineer about `ledger-db` and **OPS-DB**.",
        }
        collected = public_and_internal(Incident(**fields))
        assert {"edge-proxy", "latency-graph", "team-dns", "OPS-DB"} <= set(collected)
        assert "ledger-db" not in collected and "on-call" not in collected

    def test_prose_is_split_into_sentences_between_markup(self, tmp_path: Path) -> None:
        body = (
            "The **primary** database failed over twice during the night.\n\n"
            "- We paged [the DBA](https://wiki.example/dba) at once.\n"
        )
        collected = public_and_internal(Incident(**(marked_incident_fields() | {"body": body})))
        assert "database failed over twice during the night" in collected
        rendered = (
            "<p>The <strong>primary</strong> database failed over twice during the night.</p>"
        )
        [leak] = scan_site(
            make_site(tmp_path, {"x.html": page(rendered)}), [], collected, vendored=NO_VENDORED
        )
        assert leak.kind == "private field body of postmortems/private-file-0e2.md"

    def test_everything_of_an_unpublished_incident_is_private(self) -> None:
        fields = marked_incident_fields() | {"status": "draft", "id": "secret-project-x9"}
        collected = public_and_internal(Incident(**fields))
        assert "secret-project-x9" in collected
        assert {"PUBLIC_TITLE_a81", "PUBLIC_SERVICE_b3e", "PUBLIC_TIMELINE_2b1"} <= set(collected)
        assert any("PUBLIC_SUMMARY_c77" in value for value in collected)

    def test_internal_parts_of_public_text_are_private(self) -> None:
        view = public_view(
            summary="Shown sentence that is long enough. [hidden-host-42]{.internal}"
        )
        fields = marked_incident_fields() | {"public": view}
        collected = public_and_internal(Incident(**fields))
        assert "hidden-host-42" in collected
        assert "Shown sentence that is long enough." not in collected


if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")

#: Non-text values a planted model gets: they hold no string to scan for.
NOT_TEXT_VALUES: dict[object, object] = {
    bool: True,  # `public: true` too: the public case reads those texts as shown
    int: 7,
    float: 7.5,
    dt.date: dt.date(2024, 3, 5),
    dt.datetime: dt.datetime(2024, 3, 5, 10, tzinfo=dt.timezone.utc),
}


def planted(cls: type[T], markers: dict[str, str], path: str = "") -> T:
    """A `cls` with a distinct marker wherever its fields, recursively, hold a string.

    `markers` gets field path → marker; a dict's key is at `<path>.<key>`, its value at
    `<path>[0]`. A field of a type this cannot fill fails the test: teach it, then decide.
    """
    hints = typing.get_type_hints(cls)
    values = {
        field.name: plant(hints[field.name], f"{path}{field.name}", markers)
        for field in dataclasses.fields(cls)
    }
    return cls(**values)


def plant(hint: Any, path: str, markers: dict[str, str]) -> object:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return plant(next(arg for arg in args if arg is not type(None)), path, markers)
    if hint is str:
        markers[path] = marker = f"MARKER_{len(markers):03d}_q"
        return marker
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return planted(hint, markers, f"{path}.")
    if origin is tuple:
        return (plant(args[0], f"{path}[0]", markers),)
    if origin is dict:
        return {plant(args[0], f"{path}.<key>", markers): plant(args[1], f"{path}[0]", markers)}
    if hint in NOT_TEXT_VALUES:
        return NOT_TEXT_VALUES[hint]
    raise TypeError(f"{path}: cannot plant a {hint}")


#: The documented exceptions (private_strings._EXCEPTIONS): never scanned for.
NOT_SECRET = {
    "status",
    "severity",
    "trigger",
    "timeline[0].kind",
    "follow_ups[0].status",
    "type",
    "impact.phases[0].state",
    "impact.derived[0]",
    "follow_ups[0].type",
    *(f"{name}[0].{field}" for name in ("contributors", "mitigators", "risks")
      for field in ("kind", "likelihood", "severity")),
    "lines.<key>",
    "learnings.<key>",
    "roles[0]",  # the role name; the handle, `roles.<key>`, is private
}


def caught_paths(model: type[Incident], *, public: bool) -> tuple[set[str], set[str]]:
    """Plant markers in a `model`: (paths of those collected as private, paths of the rest).

    `public`: the incident is public, shown as `shown_publicly`.
    """
    markers: dict[str, str] = {}
    incident = planted(model, markers)
    collected = collect_private_strings([incident], [shown_publicly(incident)] if public else [])
    caught = {path for path, marker in markers.items() if any(marker in n for n in collected)}
    return caught, set(markers) - caught


def shown_publicly(incident: Incident) -> PublicIncident:
    return PublicIncident(
        id=incident.id,
        title="Shown title",
        date=incident.date,
        severity="SEV-2",
        summary="Shown summary",
    )


@dataclasses.dataclass(frozen=True)
class Vendor:
    """A part of the model the leak guard has never heard of."""

    name: str
    contacts: dict[str, str]
    escalation: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class IncidentWithVendors(Incident):
    """`Incident` as it could grow: new fields, nested dataclasses, a dict."""

    war_room: str = ""
    vendors: tuple[Vendor, ...] = ()


class TestPrivateByDefault:
    """Every string of the model is private unless `_EXCEPTIONS` says otherwise."""

    def test_every_field_of_an_incident_that_is_not_public_is_private(self) -> None:
        caught, missed = caught_paths(Incident, public=False)
        assert missed == NOT_SECRET
        # Spot checks that the walk went through every shape of field.
        assert {
            "id",
            "source",
            "impact.customer",
            "timeline[0].event",
            "evidence[0].file",
        } <= caught
        assert {"follow_ups[0].owner", "learnings[0][0]", "links.<key>", "links[0]"} <= caught
        assert {"roles.<key>", "public.summary", "public.services[0]"} <= caught

    def test_a_public_incident_keeps_only_its_shown_texts_out(self) -> None:
        caught, missed = caught_paths(Incident, public=True)
        shown = {"id", "timeline[0].event", "follow_ups[0].action", "impact.phases[0].note",
                 "impact.measures[0].what", "impact.measures[0].unit"}
        shown |= {path for path in caught | missed if path.startswith("public.")}
        assert len(shown) > 5
        assert missed == NOT_SECRET | shown

    def test_a_field_added_to_the_model_is_private_without_being_listed(self) -> None:
        caught, missed = caught_paths(IncidentWithVendors, public=False)
        assert missed == NOT_SECRET  # the exceptions follow the class hierarchy too
        new = {"war_room", "vendors[0].name", "vendors[0].contacts.<key>"}
        assert new | {"vendors[0].contacts[0]", "vendors[0].escalation[0]"} <= caught

    def test_a_field_of_an_unknown_type_fails_closed(self) -> None:
        @dataclasses.dataclass(frozen=True)
        class IncidentWithAttachment(Incident):
            attachment: bytes = b"db-failover-7c2"

        incident = IncidentWithAttachment(
            id="x", source="x.md", title="T", date=dt.date.today(), severity="SEV-2"
        )
        with pytest.raises(TypeError, match="attachment"):
            collect_private_strings([incident], [])

    def test_paths_add_their_file_name_and_urls_drop_a_trailing_slash(self) -> None:
        fields = marked_incident_fields() | {
            "evidence": (
                Evidence("Graph", link="https://grafana-7d1.example/d/"),
                Evidence("Dump", file="dumps/heap-dump-3f0.bin"),
            ),
            "links": {"runbook-9a1": "https://wiki-4e2.example/runbook/"},
            "source": "postmortems/2024/outage-5b8.md",
        }
        collected = public_and_internal(Incident(**fields))
        assert {
            "https://grafana-7d1.example/d",
            "dumps/heap-dump-3f0.bin",
            "heap-dump-3f0.bin",
            "runbook-9a1",
            "https://wiki-4e2.example/runbook",
            "postmortems/2024/outage-5b8.md",
            "outage-5b8.md",
        } <= set(collected)

    def test_reports_name_the_field_but_never_a_private_key(self) -> None:
        collected = public_and_internal(Incident(**marked_incident_fields()))
        where = "of postmortems/private-file-0e2.md"
        assert collected["PRIVATE_TICKET_0b6"] == f"private field follow_ups[0].ticket {where}"
        assert collected["PRIVATE_LEARNING_4a9"] == f"private field learnings.technical {where}"
        # A link's name and a handle may be private themselves: the report says `links`.
        assert collected["PRIVATE_LINKNAME_a2d"] == f"private field links {where}"
        assert collected["@private_other_2c2"] == f"private field roles {where}"
