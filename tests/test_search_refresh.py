"""`pmkb search` keeps the internal index current from a manifest, reading only what changed.

Every test changes a knowledge base the way an author does (edits, adds, deletes a file, adds
an evidence file or `_roles.yml`, changes the settings) and then checks that the index holds
exactly the documents a full load gives (`project_audience`) and answers as an index built
from scratch does, and that only the files that had to be read were.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
from pathlib import Path

import pytest

from postmortem_kb.cli.main import main
from postmortem_kb.core.loader import POSTMORTEM_SUFFIXES as LOADER_SUFFIXES
from postmortem_kb.core.loader import discover_postmortem_files
from postmortem_kb.core.settings import Settings
from postmortem_kb.search import index as search_index
from postmortem_kb.search import manifest, service, source_reader
from postmortem_kb.search.index import SearchIndex, SearchRequest
from postmortem_kb.search.service import (
    index_dir,
    search_built_index,
    search_library,
    update_index,
)
from postmortem_kb.site.plan import project_audience
from site_builder import write_small_kb

QUERIES = ["resolvers overloaded", "certificate expired", "disk full", "tag:dns", "replica"]


def postmortem(title: str, *, date: str = "2023-05-02", extra: str = "", body: str = "") -> str:
    return (
        f"---\ntitle: {title}\ndate: {date}\nseverity: SEV-2\ntags: [dns]\n{extra}---\n"
        f"{body or title}.\n"
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    source = tmp_path / "postmortems"
    (source / "2023").mkdir(parents=True)
    (source / "_drafts").mkdir()
    files = {
        "2023/dns.md": postmortem("DNS resolvers overloaded", extra="id: dns\n"),
        "2023/cert.md": postmortem("Certificate expired on the API", extra="id: cert\n"),
        "disk.yaml": "title: Log disk full\ndate: 2022-01-03\nseverity: SEV-3\nid: disk\n",
        "broken.md": "---\ntitle: [\n---\n",
        "_drafts/half.md": postmortem("Replica never promoted"),
        "_template.md": postmortem("Template"),
    }
    for name, text in files.items():
        (source / name).write_text(text, encoding="utf-8")
    return Settings(source_dir=source, cache_dir=tmp_path / "cache")


class Reads:
    """The display names of the postmortem files `pmkb search` read, in order."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, path: Path, display: str) -> str:
        self.names.append(display)
        return READ_TEXT_FILE(path, display)


READ_TEXT_FILE = source_reader.read_text_file


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    spy = Reads()
    monkeypatch.setattr(source_reader, "read_text_file", spy)
    return spy


def search(settings: Settings, query: str = "resolvers") -> list[str]:
    return [result.id for result in search_library(settings, SearchRequest(query)).results]


def indexed(settings: Settings) -> dict[str, str]:
    """id → content hash of every document in the index."""
    with SearchIndex(index_dir(settings)) as index:
        return search_index._indexed_hashes(index._open())


def assert_current(settings: Settings) -> None:
    """The index holds what a full load gives, and answers as one built from scratch does."""
    documents = project_audience(settings).search_documents()
    search(settings)
    assert indexed(settings) == {document.id: document.content_hash for document in documents}
    fresh = dataclasses.replace(settings, cache_dir=settings.cache_dir.parent / "fresh")
    shutil.rmtree(fresh.cache_dir, ignore_errors=True)
    update_index(fresh, documents)
    for query in QUERIES:
        request = SearchRequest(query)
        got = search_library(settings, request).results
        want = search_built_index(fresh, request).results
        # whoosh counts a replaced document in its statistics until segments merge, so
        # scores may differ in the last digits; what is found and shown may not.
        assert [(r.id, r.title, r.snippet, r.highlights) for r in got] == [
            (r.id, r.title, r.snippet, r.highlights) for r in want
        ], query


def write(settings: Settings, name: str, text: str) -> Path:
    path = settings.source_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def age(path: Path, seconds: int = 60) -> None:
    """Make `path` older than the racy-edit window, as every file but the one just saved."""
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns - seconds * 1_000_000_000))


def age_all(settings: Settings) -> None:
    for path in settings.source_dir.rglob("*"):
        if path.is_file():
            age(path)


@pytest.fixture
def searched(settings: Settings) -> Settings:
    """The knowledge base, its files settled, after a first search built index and manifest."""
    age_all(settings)
    assert search(settings) == ["dns"]
    return settings


# Nothing changed: nothing read


def test_a_search_with_nothing_changed_reads_no_file(searched: Settings, reads: Reads) -> None:
    assert search(searched, "certificate") == ["cert"]
    assert reads.names == []


def test_the_first_search_reads_every_postmortem_file_once(
    settings: Settings, reads: Reads
) -> None:
    age_all(settings)
    search(settings)
    assert sorted(reads.names) == [
        "postmortems/2023/cert.md",
        "postmortems/2023/dns.md",
        "postmortems/broken.md",
        "postmortems/disk.yaml",
    ]
    assert_current(settings)


# Edits, additions, deletions: only those files are read


def test_an_edited_file_alone_is_read_and_found_by_its_new_words(
    searched: Settings, reads: Reads
) -> None:
    path = write(
        searched,
        "2023/cert.md",
        postmortem(
            "Certificate expired on the API",
            extra="id: cert\n",
            body="The intermediate chain was missing",
        ),
    )
    age(path)
    assert search(searched, "intermediate chain") == ["cert"]
    assert reads.names == ["postmortems/2023/cert.md"]
    assert_current(searched)


def test_an_added_file_is_read_alone_and_a_deleted_one_is_forgotten(
    searched: Settings, reads: Reads
) -> None:
    age(
        write(
            searched, "2024/replica.md", postmortem("Replica never promoted", extra="id: replica\n")
        )
    )
    assert search(searched, "replica") == ["replica"]
    assert reads.names == ["postmortems/2024/replica.md"]
    assert_current(searched)

    (searched.source_dir / "2023" / "dns.md").unlink()
    assert search(searched) == []
    assert "dns" not in indexed(searched)
    assert_current(searched)


def test_a_file_that_becomes_invalid_leaves_the_index(searched: Settings) -> None:
    age(write(searched, "2023/dns.md", "---\ntitle: DNS\nseverity: SEV-9\n---\n"))
    assert search(searched) == []
    assert_current(searched)


def test_a_touched_file_is_read_but_the_index_is_not_written(
    searched: Settings, reads: Reads
) -> None:
    state = SearchIndex(index_dir(searched)).state()
    path = searched.source_dir / "2023" / "dns.md"
    age(path, seconds=30)  # another time, the same text
    search(searched)
    assert reads.names == ["postmortems/2023/dns.md"]
    assert SearchIndex(index_dir(searched)).state() == state
    search(searched)
    assert reads.names == ["postmortems/2023/dns.md"]  # recorded: not read again


def test_names_that_sort_apart_as_text_and_as_paths_are_recorded_as_listed(
    searched: Settings, reads: Reads
) -> None:
    """The listing takes each folder's names in order: `2023/dns.md` comes before
    `2023-old.md`, which text order puts first (`-` sorts before `/`). The manifest's first
    line lists the recorded files in the listing's order, or no search would ever find the
    index current: each would take the lock, compare every file and write the manifest."""
    for number, name in enumerate(["2023 b.md", "2023-old.md", "2023.md", "2023/z/deep.md"]):
        age(write(searched, name, postmortem(f"Replica lost {number}", extra=f"id: r{number}\n")))
    assert len(search(searched, "replica")) == 4
    written = (index_dir(searched) / manifest.MANIFEST_FILE).stat().st_mtime_ns
    header = manifest.read_manifest_header(index_dir(searched))
    with SearchIndex(index_dir(searched)) as index:
        assert header is not None
        assert header.describes(manifest.snapshot_sources(searched).listed, index.state())
    reads.names.clear()
    assert len(search(searched, "replica")) == 4
    assert reads.names == []
    assert (index_dir(searched) / manifest.MANIFEST_FILE).stat().st_mtime_ns == written

    age(write(searched, "2023-old.md", postmortem("Replica promoted late", extra="id: r1\n")))
    assert search(searched, "promoted") == ["r1"]
    assert reads.names == ["postmortems/2023-old.md"]
    assert_current(searched)


# Ids: the first file in discovery order wins, as in a full load


def test_a_duplicate_id_takes_over_when_the_first_file_goes(searched: Settings) -> None:
    age(
        write(
            searched,
            "2023/a-dns-copy.md",
            postmortem("Resolvers overloaded twice", extra="id: dns\n"),
        )
    )
    assert_current(searched)  # the copy sorts first: it is the one indexed
    assert search(searched, "twice") == ["dns"]

    (searched.source_dir / "2023" / "a-dns-copy.md").unlink()
    assert_current(searched)  # the original is indexed again, though it was never edited
    assert search(searched, "twice") == []


def test_a_file_that_changes_its_id_hands_the_old_one_on(searched: Settings) -> None:
    age(write(searched, "2023/z-dns.md", postmortem("DNS twin", extra="id: dns\n")))
    assert_current(searched)
    age(
        write(
            searched,
            "2023/dns.md",
            postmortem("DNS resolvers overloaded", extra="id: dns-renamed\n"),
        )
    )
    assert_current(searched)
    assert set(indexed(searched)) >= {"dns", "dns-renamed"}


# What every file depends on: roles, evidence, settings


def test_roles_added_to_the_knowledge_base_make_a_file_valid(
    searched: Settings, reads: Reads
) -> None:
    age(
        write(
            searched,
            "2023/review.md",
            postmortem("Replica review", extra="id: review\nreview: {attendees: ['@ann']}\n"),
        )
    )
    assert search(searched, "replica") == []  # @ann has no role: the file has an error
    reads.names.clear()
    age(write(searched, "_roles.yml", '"@ann": SRE\n'))
    assert search(searched, "replica") == ["review"]
    assert len(reads.names) == 5  # the roles concern every file: all are read again
    assert_current(searched)


def test_an_evidence_file_added_later_makes_its_postmortem_valid(searched: Settings) -> None:
    age(
        write(
            searched,
            "2023/graph.md",
            postmortem(
                "Replica lag graph", extra="id: graph\nevidence: [{caption: Lag, file: lag.png}]\n"
            ),
        )
    )
    assert search(searched, "replica") == []  # no lag.png yet: an error
    evidence = searched.source_dir / "2023" / "lag.png"
    evidence.write_bytes(b"\x89PNG")
    age(evidence)
    assert search(searched, "replica") == ["graph"]
    assert_current(searched)
    evidence.unlink()
    assert search(searched, "replica") == []
    assert_current(searched)


def test_changed_settings_read_every_file(searched: Settings, reads: Reads) -> None:
    age(
        write(
            searched,
            "2023/p1.md",
            postmortem("Replica on fire", extra="id: p1\n").replace("SEV-2", "P1"),
        )
    )
    assert search(searched, "replica") == []  # P1 is not on the default scale
    reads.names.clear()
    scale = dataclasses.replace(searched, severities=("P1", "P2", "SEV-2", "SEV-3"))
    assert search(scale, "replica") == ["p1"]
    assert len(reads.names) == 5
    assert_current(scale)


# Edits the clock cannot tell apart


def test_a_second_edit_with_the_same_size_and_time_is_still_found(
    settings: Settings, reads: Reads
) -> None:
    """Saved twice within the file system's clock resolution, a file keeps its size and time.
    A file modified moments before it was read is recorded as unsettled and hashed again."""
    age_all(settings)
    path = write(
        settings,
        "2023/cert.md",
        postmortem("Certificate expired", extra="id: cert\n", body="Version one"),
    )
    status = path.stat()
    assert search(settings, "version one") == ["cert"]
    path.write_text(path.read_text(encoding="utf-8").replace("one", "two"), encoding="utf-8")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert path.stat().st_size == status.st_size
    assert search(settings, "version two") == ["cert"]
    assert_current(settings)


# A damaged cache is rebuilt


def test_a_damaged_manifest_makes_the_search_read_everything(searched: Settings) -> None:
    (index_dir(searched) / manifest.MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    age(write(searched, "2023/dns.md", postmortem("DNS resolvers crashed", extra="id: dns\n")))
    assert search(searched, "crashed") == ["dns"]
    assert_current(searched)


def test_a_manifest_whose_listing_was_altered_is_not_trusted(
    searched: Settings, reads: Reads
) -> None:
    path = index_dir(searched) / manifest.MANIFEST_FILE
    header, body = path.read_text(encoding="utf-8").split("\n", 1)
    files = json.loads(body)
    del files["files"]["2023/dns.md"]
    path.write_text(header + "\n" + json.dumps(files), encoding="utf-8")
    age(write(searched, "2023/cert.md", postmortem("Certificate gone", extra="id: cert\n")))
    search(searched)
    assert len(reads.names) == 4  # the body does not match its first line: all read
    assert_current(searched)


def test_a_damaged_index_is_rebuilt(searched: Settings) -> None:
    generation = json.loads((index_dir(searched) / search_index.POINTER_FILE).read_text())
    for path in (index_dir(searched) / generation["generation"]).iterdir():
        if path.name.endswith(".trm"):
            path.write_bytes(b"\0" * path.stat().st_size)
    age(write(searched, "2023/cert.md", postmortem("Certificate renewed", extra="id: cert\n")))
    assert search(searched, "renewed") == ["cert"]
    assert_current(searched)


def test_an_index_of_another_schema_is_rebuilt(searched: Settings) -> None:
    pointer_file = index_dir(searched) / search_index.POINTER_FILE
    pointer = json.loads(pointer_file.read_text())
    pointer_file.write_text(json.dumps({**pointer, "schema_version": 0}))
    assert search(searched) == ["dns"]
    assert json.loads(pointer_file.read_text())["schema_version"] == search_index.SCHEMA_VERSION
    assert_current(searched)


def test_an_index_written_by_someone_else_is_checked_against_every_file(
    searched: Settings, reads: Reads
) -> None:
    update_index(searched, [])  # a writer that keeps no manifest: the index is now empty
    assert search(searched) == ["dns"]
    assert len(reads.names) == 4
    assert_current(searched)


def test_an_index_rewritten_while_it_answers_is_brought_back_and_asked_again(
    searched: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index answers while the folder is listed; when someone wrote to it after the
    search read its state, that answer is not the one the files give, and is not kept."""
    answer = service._answer

    def rewritten_first(index: SearchIndex, request: SearchRequest) -> service.SearchAnswer:
        monkeypatch.setattr(service, "_answer", answer)
        update_index(searched, [])  # another writer: the index is empty now
        return answer(index, request)

    monkeypatch.setattr(service, "_answer", rewritten_first)
    assert search(searched) == ["dns"]
    assert_current(searched)


# The build's manifest


def test_after_a_build_a_search_reads_nothing(settings: Settings, reads: Reads) -> None:
    age_all(settings)
    sources = manifest.snapshot_sources(settings)  # before reading, as the plugin does
    view = project_audience(settings)
    documents = view.search_documents()
    update_index(settings, documents, sources.manifest(view.kb.incidents, documents))
    assert search(settings) == ["dns"]
    assert reads.names == []
    assert_current(settings)


def test_after_a_build_a_change_reads_it_and_the_files_the_build_skipped(
    settings: Settings, reads: Reads
) -> None:
    """A build does not record what a skipped file holds (an error, or an id another file
    has): once anything changed, the search reads those files too, as ids may move."""
    age_all(settings)
    sources = manifest.snapshot_sources(settings)
    view = project_audience(settings)
    documents = view.search_documents()
    update_index(settings, documents, sources.manifest(view.kb.incidents, documents))
    age(write(settings, "2023/cert.md", postmortem("Certificate rotated", extra="id: cert\n")))
    assert search(settings, "rotated") == ["cert"]
    assert sorted(reads.names) == ["postmortems/2023/cert.md", "postmortems/broken.md"]
    assert_current(settings)


def test_a_search_waits_for_a_writer_then_answers_from_the_index_as_it_stands(
    searched: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "SearchIndex", functools.partial(SearchIndex, lock_timeout=0.1))
    age(write(searched, "2023/dns.md", postmortem("DNS resolvers melted", extra="id: dns\n")))
    with manifest.update_lock(index_dir(searched), None):
        assert search(searched, "melted") == []  # a build is updating it: not waited for
    assert search(searched, "melted") == ["dns"]


# Listing the folder as discovery does


def test_the_listing_finds_the_postmortem_files_discovery_finds(tmp_path: Path) -> None:
    source = tmp_path / "postmortems"
    names = [
        "a.md",
        "b.yaml",
        "c.yml",
        "d.txt",
        "_roles.yml",
        "_x/e.md",
        "f/_g.md",
        "f/h.md",
        "f/_i/j.md",
        ".hidden/k.md",
        "f/.l.md",
        "m.MD",
        "n.md.bak",
        "o/p/q.yaml",
    ]
    for name in names:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text("x", encoding="utf-8")
    (source / "link.md").symlink_to(source / "a.md")
    (source / "dangling.md").symlink_to(source / "nowhere.md")
    (source / "linked-folder").symlink_to(source / "o")
    (source / os.fsdecode(b"odd-\xff.md")).write_text("x", encoding="utf-8")
    settings = Settings(source_dir=source, cache_dir=tmp_path / "cache")
    snapshot = manifest.snapshot_sources(settings)
    assert list(snapshot.postmortems) == [
        path.relative_to(source).as_posix() for path in discover_postmortem_files(source)
    ]
    assert "d.txt" in snapshot.others and "_x/e.md" in snapshot.others
    assert manifest.POSTMORTEM_SUFFIXES == LOADER_SUFFIXES


def test_the_cache_folder_inside_the_source_folder_is_not_listed(tmp_path: Path) -> None:
    settings = Settings(source_dir=tmp_path, cache_dir=tmp_path / "cache")
    write(settings, "a.md", postmortem("DNS resolvers overloaded", extra="id: a\n"))
    age_all(settings)
    assert search(settings) == ["a"]
    snapshot = manifest.snapshot_sources(settings)
    assert list(snapshot.postmortems) == ["a.md"] and snapshot.others == {}


def test_a_search_after_a_site_build_reads_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: Reads
) -> None:
    """The plugin hands the build's manifest to its index worker: the index a build leaves
    is current for `pmkb search`, which then reads nothing."""
    kb = write_small_kb(
        tmp_path / "kb",
        "Built",
        {
            "dns.md": postmortem("DNS resolvers overloaded", extra="id: dns\n"),
            "cert.md": postmortem("Certificate expired", extra="id: cert\n"),
        },
    )
    for path in (kb / "postmortems").iterdir():
        age(path)
    monkeypatch.chdir(kb)
    assert main(["build"]) == 0
    assert main(["search", "resolvers", "--json"]) == 0
    assert reads.names == []


def test_the_files_never_go_into_the_public_index(searched: Settings) -> None:
    """Files hold internal text: only a public build, after its leak guard, writes the public
    index (`search_built_index` answers from it)."""
    public = dataclasses.replace(searched, audience="public")
    with pytest.raises(ValueError, match="only by a public build"):
        search_library(public, SearchRequest("resolvers"))
    assert not index_dir(public).exists()


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_an_index_damaged_while_nothing_changed_is_rebuilt(searched: Settings, damage: str) -> None:
    """A search that writes nothing checks the index files' sizes; damage inside a file it
    meets while searching. Either way the index is rebuilt from the files."""
    generation = json.loads((index_dir(searched) / search_index.POINTER_FILE).read_text())
    for path in (index_dir(searched) / generation["generation"]).iterdir():
        if path.suffix in (".trm", ".pst"):
            size = path.stat().st_size
            path.write_bytes(b"\0" * (size // 2 if damage == "truncated" else size))
    assert search(searched) == ["dns"]
    assert_current(searched)


def test_an_index_file_whose_size_changed_is_not_trusted(searched: Settings) -> None:
    """Bytes added to an index file may go unnoticed by whoosh, and answer wrongly."""
    pointer_file = index_dir(searched) / search_index.POINTER_FILE
    before = json.loads(pointer_file.read_text())["generation"]
    column = next((index_dir(searched) / before).glob("*.col"))
    column.write_bytes(column.read_bytes() + b"\0" * 64)
    assert search(searched) == ["dns"]
    assert json.loads(pointer_file.read_text())["generation"] != before  # rebuilt
    assert_current(searched)
