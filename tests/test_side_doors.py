"""No side door around the leak guard: the public search index holds only text a public build's
guard passed, and `pmkb search --audience public` answers from that index alone."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from postmortem_kb.cli import main
from postmortem_kb.search.index import SearchIndex, SearchRequest
from site_builder import BuildFailed, build_site, write_small_kb


def public_incident(summary: str) -> str:
    return textwrap.dedent(f"""\
        ---
        id: dns-outage
        title: Zone push removed records
        date: 2024-05-02
        severity: SEV-2
        status: published
        tags: [dns]
        summary: Internal summary.
        public:
          summary: {summary}
        ---
        """)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = write_small_kb(
        tmp_path / "kb", "Side doors", {"dns.md": public_incident("Names did not resolve.")}
    )
    (root / "mkdocs.public.yml").write_text(
        "INHERIT: mkdocs.yml\nsite_dir: site-public\n"
        "plugins:\n  postmortems: {audience: public, cache_dir: .cache}\n",
        encoding="utf-8",
    )
    return root


def public_index_ids(kb: Path, query: str) -> list[str]:
    with SearchIndex(kb / ".cache" / "public") as index:
        return [hit.id for hit in index.search(SearchRequest(query))]


def digest(folder: Path) -> str:
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    return hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in files)).hexdigest()


def build_public(kb: Path, **options: object) -> None:
    build_site(kb / "mkdocs.public.yml", kb / "site-public", cache_dir=str(kb / ".cache"),
               **options)


def test_a_build_the_guard_refuses_leaves_the_previous_public_index(kb: Path) -> None:
    build_public(kb)
    assert public_index_ids(kb, "resolve") == ["dns-outage"]
    before = digest(kb / ".cache" / "public")
    (kb / "postmortems" / "dns.md").write_text(
        public_incident("Names did not resolve for ZEBRACODE customers."), encoding="utf-8"
    )
    with pytest.raises(BuildFailed) as failure:
        build_public(kb, deny=["ZEBRACODE"])
    assert any("deny pattern ZEBRACODE" in line for line in failure.value.logs)
    assert digest(kb / ".cache" / "public") == before
    assert public_index_ids(kb, "zebracode") == []


def test_public_search_answers_only_from_the_guarded_index(
    kb: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(kb)
    assert main(["search", "resolve", "--audience", "public"]) == 1
    error = capsys.readouterr().err
    assert "no public search index yet" in error and "pmkb build --audience public" in error
    assert not (kb / ".cache" / "public").exists()

    assert main(["build", "--audience", "public"]) == 0
    capsys.readouterr()
    assert main(["search", "resolve", "--audience", "public", "--json"]) == 0
    assert '"id": "dns-outage"' in capsys.readouterr().out

    # Text no public build has guarded yet is not searchable publicly.
    (kb / "postmortems" / "dns.md").write_text(
        public_incident("Names did not resolve for GIRAFFE customers."), encoding="utf-8"
    )
    assert main(["search", "giraffe", "--audience", "public", "--json"]) == 0
    assert '"id"' not in capsys.readouterr().out


def test_the_site_s_own_address_is_not_a_leak_as_under_serve(kb: Path) -> None:
    """`mkdocs serve` (`./dev.sh serve`) sets `site_url` to the local preview address, which
    the theme writes into every page's canonical link: the site's own address is public."""
    config = kb / "mkdocs.public.yml"
    config.write_text(config.read_text(encoding="utf-8") + "site_url: http://127.0.0.1:8001/\n",
                      encoding="utf-8")
    build_public(kb)
    page = (kb / "site-public" / "incidents" / "dns-outage" / "index.html").read_text("utf-8")
    assert 'href="http://127.0.0.1:8001/incidents/dns-outage/"' in page
    # Only the site's own address: another loopback address is still a leak.
    (kb / "postmortems" / "dns.md").write_text(
        public_incident("Names did not resolve on 127.0.0.2."), encoding="utf-8"
    )
    with pytest.raises(BuildFailed) as failure:
        build_public(kb)
    assert any("loopback address" in line for line in failure.value.logs)
