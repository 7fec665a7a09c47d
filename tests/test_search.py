"""Search: documents per audience, the incremental whoosh index, queries, output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from postmortem_kb.core.model import (
    Factor,
    FollowUp,
    Impact,
    Incident,
    PublicFollowUp,
    PublicIncident,
    PublicTimelineEntry,
    TimelineEntry,
)
from postmortem_kb.core.settings import Settings
from postmortem_kb.search import index as search
from postmortem_kb.search.documents import (
    document_from_incident,
    document_from_public,
    markdown_to_words,
    search_documents,
)
from postmortem_kb.search.index import (
    MAX_QUERY_CHARS,
    SearchCacheError,
    SearchIndex,
    SearchIndexError,
    SearchQueryError,
    SearchRequest,
    parse_query,
    severity_key,
)
from postmortem_kb.search.output import format_no_results, format_results, results_as_json
from postmortem_kb.search.service import search_library

UTC = dt.timezone.utc


def make_incident(incident_id: str, **fields: Any) -> Incident:
    fields.setdefault("title", f"Incident {incident_id}")
    fields.setdefault("date", dt.date(2023, 1, 1))
    fields.setdefault("severity", "SEV-3")
    return Incident(id=incident_id, source=f"postmortems/{incident_id}.md", **fields)


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2023, 1, day, hour, tzinfo=UTC)


LIBRARY = (
    make_incident(
        "cert-expiry",
        title="Expired TLS certificate took down the public API",
        date=dt.date(2022, 3, 1),
        severity="SEV-1",
        tags=("certificates", "monitoring"),
        services=("api-gateway",),
        trigger="configuration",
        key_learning="Automate certificate renewal and alert weeks before expiry.",
        summary="The wildcard certificate expired; clients failed TLS handshakes for an hour.",
    ),
    make_incident(
        "dns-overload",
        title="DNS resolvers overloaded during a traffic spike",
        date=dt.date(2023, 5, 2),
        severity="SEV-2",
        tags=("dns", "capacity"),
        services=("auth", "resolver"),
        trigger="capacity",
        summary="Resolvers fell over under load and logins failed.",
    ),
    make_incident(
        "db-failover",
        title="Database failover stalled",
        date=dt.date(2023, 6, 1),
        severity="SEV-3",
        tags=("database",),
        services=("payments",),
        trigger="hardware",
        summary="The primary failed and replica promotion got stuck.",
        timeline=(TimelineEntry(at=at(1), event="Paged on-call for replication lag"),),
    ),
    make_incident(
        "queue-backlog",
        title="Order queue backlog",
        date=dt.date(2021, 8, 9),
        severity="SEV-4",
        tags=("capacity",),
        services=("orders",),
        trigger="deployment",
        summary="Consumers stopped acknowledging messages after a deploy.",
        body="While draining the backlog we also found a certificate warning in the logs.",
    ),
)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SearchIndex]:
    with SearchIndex(tmp_path / "internal", lock_timeout=0.2) as search_index:
        search_index.update(search_documents(LIBRARY))
        yield search_index


def ids(results: list[search.SearchResult]) -> list[str]:
    return [result.id for result in results]


def edited(incident: Incident, **changes: Any) -> Incident:
    return dataclasses.replace(incident, **changes)


def generation_dir(search_index: SearchIndex) -> Path:
    """The folder holding the current index files, as the index's pointer file names it."""
    pointer = json.loads((search_index.directory / search.POINTER_FILE).read_text())
    return search_index.directory / pointer["generation"]


def all_index_files(search_index: SearchIndex) -> list[Path]:
    generation = generation_dir(search_index)
    return [path for path in generation.iterdir() if path.name != "MAIN_WRITELOCK"]


# Search documents


def test_internal_document_holds_every_narrative_field_as_plain_words() -> None:
    incident = make_incident(
        "x",
        title="Cache *stampede*",
        summary="See [the dashboard](https://grafana.example/d/1) and `redis` errors.",
        key_learning="Warm caches **before** failover.",
        trigger="deployment",
        timeline=(TimelineEntry(at=at(2), event="Rolled back release 4.2"),),
        contributors=(Factor("No jitter on cache expiry"),),
        learnings={"technical": ("Use request coalescing",)},
        follow_ups=(FollowUp(action="Add jitter to TTLs"),),
        impact=Impact(customer="Checkout slow for 20 minutes"),
        body="## Narrative\n\n::: internal\nThe [vendor]{.internal} was paged.\n:::\n",
    )
    document = document_from_incident(incident)
    assert document.title == "Cache stampede"
    assert document.summary == "See the dashboard and redis errors."
    assert document.key_learning == "Warm caches before failover."
    assert document.trigger == "deployment"
    assert document.url == "incidents/x/"
    for words in (
        "Rolled back release 4.2",
        "No jitter on cache expiry",
        "Use request coalescing",
        "Add jitter to TTLs",
        "Checkout slow for 20 minutes",
        "Narrative",
        "The vendor was paged.",
    ):
        assert words in document.text
    for markup in (":::", "{.internal}", "##", "https://", "*", "`"):
        assert markup not in document.text + document.summary + document.title


def test_public_document_holds_only_the_public_projection() -> None:
    public = PublicIncident(
        id="cert-expiry",
        title="API unavailable",
        date=dt.date(2022, 3, 1),
        severity="SEV-1",
        summary="Requests failed for an hour.",
        impact="All API clients saw TLS errors.",
        remediation="We renewed the certificate.",
        tags=("certificates",),
        timeline=(PublicTimelineEntry(at=at(1), event="Service restored"),),
        follow_ups=(PublicFollowUp(action="Automate renewals", status="open"),),
    )
    document = document_from_public(public)
    assert document.trigger is None
    assert document.status == "published"
    assert document.services == ()
    assert document.text.split("\n") == [
        "All API clients saw TLS errors.",
        "We renewed the certificate.",
        "Service restored",
        "Automate renewals",
    ]
    assert search_documents([public]) == [document]


def test_content_hash_follows_content() -> None:
    original = document_from_incident(LIBRARY[0])
    assert document_from_incident(LIBRARY[0]).content_hash == original.content_hash
    changed = document_from_incident(edited(LIBRARY[0], summary="Something else."))
    assert changed.content_hash != original.content_hash
    retagged = document_from_incident(edited(LIBRARY[0], tags=("certificates",)))
    assert retagged.content_hash != original.content_hash


def test_markdown_to_words_drops_control_characters() -> None:
    assert markdown_to_words("evil\x1b[31mred\x07") == "evil [31mred"


# Incremental indexing and recovery


def test_first_update_builds_then_nothing_changes(tmp_path: Path) -> None:
    search_index = SearchIndex(tmp_path / "ix")
    assert not search_index.exists()
    first = search_index.update(search_documents(LIBRARY))
    assert (first.added, first.rebuilt) == (len(LIBRARY), True)
    again = search_index.update(search_documents(LIBRARY))
    assert again == search.IndexStats(unchanged=len(LIBRARY))
    assert search_index.exists()


def test_only_changed_and_new_documents_are_indexed(index: SearchIndex) -> None:
    library = [*LIBRARY]
    library[2] = edited(library[2], summary="The primary failed; a zebra stampede followed.")
    library.append(make_incident("new-one", title="Brand new incident about giraffes"))
    stats = index.update(search_documents(library))
    assert stats == search.IndexStats(added=1, updated=1, unchanged=len(LIBRARY) - 1)
    assert ids(index.search(SearchRequest("zebra"))) == ["db-failover"]
    assert ids(index.search(SearchRequest("giraffes"))) == ["new-one"]
    assert ids(index.search(SearchRequest("replica promotion"))) == []


def test_vanished_incident_is_removed(index: SearchIndex) -> None:
    remaining = [incident for incident in LIBRARY if incident.id != "dns-overload"]
    stats = index.update(search_documents(remaining))
    assert stats == search.IndexStats(removed=1, unchanged=len(remaining))
    assert ids(index.search(SearchRequest("resolvers"))) == []
    assert "dns-overload" not in ids(index.search(SearchRequest("tag:capacity")))


def test_schema_version_change_forces_clean_rebuild(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_generation = generation_dir(index)
    monkeypatch.setattr(search, "SCHEMA_VERSION", search.SCHEMA_VERSION + 1)
    stats = index.update(search_documents(LIBRARY))
    assert stats.rebuilt
    assert stats.added == len(LIBRARY)
    assert stats.reason is not None and "schema" in stats.reason
    assert generation_dir(index) != old_generation
    assert not old_generation.exists()
    assert ids(index.search(SearchRequest("certificate")))[0] == "cert-expiry"


def test_garbage_in_index_files_rebuilds_cleanly(index: SearchIndex) -> None:
    for path in all_index_files(index):
        path.write_bytes(b"\x00garbage\xff" * 50)
    with pytest.raises(SearchIndexError):
        index.search(SearchRequest("certificate"))
    stats = index.update(search_documents(LIBRARY))
    assert stats.rebuilt
    assert stats.added == len(LIBRARY)
    assert ids(index.search(SearchRequest("certificate")))[0] == "cert-expiry"


def test_damage_whoosh_would_not_notice_still_rebuilds(index: SearchIndex) -> None:
    segment = max(all_index_files(index), key=lambda path: path.stat().st_size)
    data = bytearray(segment.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8] = b"\xde\xad\xbe\xef" * 2
    segment.write_bytes(bytes(data))
    stats = index.update(search_documents(LIBRARY))
    assert stats.rebuilt
    assert ids(index.search(SearchRequest("certificate")))[0] == "cert-expiry"


def test_garbage_pointer_file_rebuilds_cleanly(index: SearchIndex) -> None:
    (index.directory / search.POINTER_FILE).write_bytes(b"\xff\xfe not json")
    stats = index.update(search_documents(LIBRARY))
    assert stats.rebuilt
    assert ids(index.search(SearchRequest("resolvers"))) == ["dns-overload"]


def test_stale_lock_file_does_not_block_updates(index: SearchIndex) -> None:
    generation = generation_dir(index)
    (generation / "MAIN_WRITELOCK").write_text("left behind by a killed build")
    library = [*LIBRARY, make_incident("late", title="Late arrival about otters")]
    stats = index.update(search_documents(library))
    assert (stats.added, stats.rebuilt) == (1, False)
    assert ids(index.search(SearchRequest("otters"))) == ["late"]


def test_index_locked_by_another_writer_is_rebuilt_elsewhere(index: SearchIndex) -> None:
    fcntl = pytest.importorskip("fcntl")
    generation = generation_dir(index)
    library = [*LIBRARY, make_incident("late", title="Late arrival about otters")]
    with open(generation / "MAIN_WRITELOCK", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stats = index.update(search_documents(library))
    assert stats.rebuilt
    assert stats.reason is not None and "locked" in stats.reason
    assert generation_dir(index) != generation
    assert generation.exists(), "a generation in use by another writer is left alone"
    assert ids(index.search(SearchRequest("otters"))) == ["late"]


def test_search_without_index_says_so(tmp_path: Path) -> None:
    with pytest.raises(SearchIndexError, match="no search index"):
        SearchIndex(tmp_path / "nothing").search(SearchRequest("certificate"))


# Caches that cannot hold an index: one clear error naming the folder, never a traceback


def test_a_file_where_the_cache_folder_should_be_is_named_with_what_to_do(
    tmp_path: Path,
) -> None:
    (tmp_path / "cache").write_text("not a folder", encoding="utf-8")
    with pytest.raises(SearchCacheError) as refused:
        SearchIndex(tmp_path / "cache" / "internal").update(search_documents(LIBRARY))
    assert str(refused.value) == (
        f"{tmp_path / 'cache' / 'internal'}: cannot hold the search index (NotADirectoryError: "
        "Not a directory); make it a folder you can write, or set the `cache_dir` option to one"
    )


def test_an_unwritable_cache_folder_is_named_with_what_to_do(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests run as root, so the folder is made unwritable where the index writes to it."""

    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    (index.directory / search.POINTER_FILE).unlink()  # the update must write a new index
    monkeypatch.setattr(search.tempfile, "mkdtemp", refuse)
    with pytest.raises(SearchCacheError, match=r"\(PermissionError: Permission denied\); make it"):
        index.update(search_documents(LIBRARY))


def two_postmortems(folder: Path) -> Path:
    """A source folder of two postmortem files (`search_library` reads files, not objects)."""
    folder.mkdir()
    for name, title in [("dns-overload", "DNS resolvers overloaded"), ("cert", "Cert expired")]:
        (folder / f"{name}.md").write_text(
            f"---\ntitle: {title}\ndate: 2023-05-02\nseverity: SEV-2\n---\nBody.\n",
            encoding="utf-8",
        )
    return folder


def test_a_cache_deleted_during_a_search_is_rebuilt_and_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(source_dir=two_postmortems(tmp_path / "kb"), cache_dir=tmp_path / "cache")
    update = SearchIndex.update

    def update_then_vanish(self: SearchIndex, documents: Any) -> search.IndexStats:
        stats = update(self, documents)
        shutil.rmtree(self.directory)
        return stats

    monkeypatch.setattr(SearchIndex, "update", update_then_vanish)
    answer = search_library(settings, SearchRequest("resolvers"))
    assert ids(answer.results) == ["dns-overload"]


def test_a_cache_that_keeps_failing_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(source_dir=two_postmortems(tmp_path / "kb"), cache_dir=tmp_path / "cache")

    def damaged(self: SearchIndex, request: SearchRequest) -> list[search.SearchResult]:
        raise SearchIndexError("search index unreadable: EOFError()")

    monkeypatch.setattr(SearchIndex, "search", damaged)
    with pytest.raises(SearchIndexError) as failed:
        search_library(settings, SearchRequest("resolvers"))
    assert str(failed.value).startswith(
        f"{tmp_path / 'cache' / 'internal'}: search index unreadable: EOFError(), again right "
        "after a rebuild; is another program changing that folder?"
    )


# Queries a user can type: never a traceback, never a rebuild

ODD_QUERIES = [
    "date:2024", "date:[2020 TO 2024]", "url:x", "severity_label:sev1", "content_hash:x",
    "id:cert-expiry", "title:", 'title:"', '"unbalanced', "(a OR", "a)", "*", "?", "*:*",
    "title:(a OR", "title:[a TO", "a^x", "\\", "\x00", "\x1b[2J", "\udcff", "tag:\udcff",
    "(" * 500, '"' * 500, "x" * MAX_QUERY_CHARS,
    # whoosh's own parser raised IndexError on these (found by the fuzz test below).
    "NOT\tAND cdate:tag:2?é", "\"9:?NOT NOT zTO[(^''TO)",
]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=lambda query: repr(query[:20]))
def test_odd_queries_are_answered_without_touching_the_index(
    index: SearchIndex, query: str
) -> None:
    generation = generation_dir(index)
    files = {path.name: path.read_bytes() for path in all_index_files(index)}
    index.search(SearchRequest(query))
    index.suggest(SearchRequest(query))
    assert generation_dir(index) == generation
    assert {path.name: path.read_bytes() for path in all_index_files(index)} == files
    assert index.update(search_documents(LIBRARY)) == search.IndexStats(unchanged=len(LIBRARY))


def test_no_query_crashes_or_touches_the_index(index: SearchIndex) -> None:
    """Random tangles of words, operators and syntax are answered, never taken for damage."""
    rng = random.Random(20261130)
    pieces = [*'ab xz:*?~^"()[]{}<>-+\\/!&|\'=,.09', "AND", "OR", "NOT", "TO", "ANDNOT",
              "title:", "date:", "tag:", "url:", "certificate", "dns", "\t", "é", "\udcff"]
    generation = generation_dir(index)
    for round_ in range(300):
        request = SearchRequest("".join(rng.choice(pieces) for _ in range(rng.randint(1, 25))))
        if not index.search(request):
            index.suggest(request)
        assert generation_dir(index) == generation, f"round {round_}: {request.query!r}"


@pytest.mark.parametrize("query", ["url:resolvers", "date:resolvers", "severity_label:resolvers"])
def test_a_field_the_index_does_not_know_is_read_as_words(index: SearchIndex, query: str) -> None:
    assert ids(index.search(SearchRequest(query))) == ["dns-overload"]


def test_a_query_whoosh_cannot_parse_is_read_as_its_words(index: SearchIndex) -> None:
    assert ids(index.search(SearchRequest("NOT\tAND resolvers: [(^''TO)"))) == ["dns-overload"]


def test_a_known_field_still_narrows_the_search(index: SearchIndex) -> None:
    assert ids(index.search(SearchRequest("certificate"))) == ["cert-expiry", "queue-backlog"]
    assert ids(index.search(SearchRequest("title:certificate"))) == ["cert-expiry"]


def test_a_query_too_long_to_parse_in_time_is_refused() -> None:
    with pytest.raises(SearchQueryError) as refused:
        SearchRequest("x" * (MAX_QUERY_CHARS + 1))
    assert str(refused.value) == (
        "the query is 1,001 characters long; expected at most 1,000: the words that matter"
    )


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(SearchQueryError, match="the limit is 0; expected at least 1"):
        SearchRequest("certificate", limit=0)


def test_undecodable_query_bytes_print_as_spaces() -> None:
    message = format_no_results("cert\udcffx", search.Suggestions())
    assert message == "No incidents match 'cert x'."


# Queries


def test_parse_query_splits_filters_from_words() -> None:
    parsed = parse_query('cert expiry tag:DNS service:"auth api" -severity:Sev-4 trigger:x')
    assert parsed.text == "cert expiry"
    assert parsed.include == (("tag", "dns"), ("service", "auth api"), ("trigger", "x"))
    assert parsed.exclude == (("severity", "sev4"),)


@pytest.mark.parametrize("written", ["SEV-1", "sev1", "Sev 1", "sev-1", "1"])
def test_severity_filter_normalises(index: SearchIndex, written: str) -> None:
    assert ids(index.search(SearchRequest("", severity=written))) == ["cert-expiry"]
    if " " not in written:
        assert ids(index.search(SearchRequest(f"severity:{written}"))) == ["cert-expiry"]
    assert severity_key("Sev 1") == severity_key("SEV-1") == "sev1"


def test_tag_and_service_filters(index: SearchIndex) -> None:
    assert ids(index.search(SearchRequest("tag:capacity"))) == ["dns-overload", "queue-backlog"]
    assert ids(index.search(SearchRequest("tag:capacity service:auth"))) == ["dns-overload"]
    assert ids(index.search(SearchRequest("tag:capacity -service:auth"))) == ["queue-backlog"]
    assert ids(index.search(SearchRequest("", tags=("capacity",), services=("orders",)))) == [
        "queue-backlog"
    ]
    assert ids(index.search(SearchRequest("service:api*"))) == ["cert-expiry"]
    assert ids(index.search(SearchRequest("trigger:hardware"))) == ["db-failover"]
    assert ids(index.search(SearchRequest("tag:capacity failed"))) == ["dns-overload"]


def test_since_keeps_recent_incidents(index: SearchIndex) -> None:
    assert ids(index.search(SearchRequest("certificate", since=dt.date(2021, 1, 1)))) == [
        "cert-expiry",
        "queue-backlog",
    ]
    assert ids(index.search(SearchRequest("certificate", since=dt.date(2022, 3, 2)))) == []
    newest_first = ids(index.search(SearchRequest("", since=dt.date(2022, 1, 1))))
    assert newest_first == ["db-failover", "dns-overload", "cert-expiry"]


def test_public_index_cannot_find_internal_text(tmp_path: Path) -> None:
    public = PublicIncident(
        id="cert-expiry",
        title="API unavailable",
        date=dt.date(2022, 3, 1),
        severity="SEV-1",
        summary="Requests failed for an hour.",
        tags=("certificates",),
    )
    with SearchIndex(tmp_path / "public") as public_index:
        public_index.update(search_documents([public]))
        assert ids(public_index.search(SearchRequest("unavailable"))) == ["cert-expiry"]
        # internal title, key learning, service, trigger and an internal-only tag
        for internal in ("wildcard", "renewal", "service:api-gateway", "gateway"):
            assert public_index.search(SearchRequest(internal)) == []
        assert public_index.search(SearchRequest("trigger:configuration")) == []
        assert public_index.search(SearchRequest("tag:monitoring")) == []


def test_stemming_finds_other_word_forms(index: SearchIndex) -> None:
    results = index.search(SearchRequest("certificates"))
    assert ids(results)[0] == "cert-expiry"
    snippet, spans = results[0].snippet, results[0].highlights
    assert [snippet[start:end] for start, end in spans] == ["certificate"]
    assert ids(index.search(SearchRequest("expiring"))) == ["cert-expiry"]


def test_title_and_key_learning_outrank_the_narrative(tmp_path: Path) -> None:
    filler = "The team looked at dashboards, checked logs and restarted workers."
    library = [
        make_incident("body-only", summary=filler, body=f"{filler} Later a rollback helped."),
        make_incident("title-hit", title="Rollback of the billing release", summary=filler),
        make_incident("lesson-hit", key_learning="Practise the rollback.", summary=filler),
    ]
    with SearchIndex(tmp_path / "ix") as search_index:
        search_index.update(search_documents(library))
        ranked = ids(search_index.search(SearchRequest("rollback")))
    assert ranked[-1] == "body-only"
    assert set(ranked[:2]) == {"title-hit", "lesson-hit"}


def test_question_in_plain_words_finds_the_incident(index: SearchIndex) -> None:
    assert (
        ids(index.search(SearchRequest("have we had certificate problems before?")))[0]
        == "cert-expiry"
    )


def test_only_operators_or_stop_words_find_nothing(index: SearchIndex) -> None:
    assert index.search(SearchRequest("AND OR (")) == []
    assert index.search(SearchRequest("have we had")) == []


def test_suggestions_when_nothing_matches(index: SearchIndex) -> None:
    assert index.search(SearchRequest("certifcate")) == []
    suggestions = index.suggest(SearchRequest("certifcate"))
    assert suggestions.corrected_query == "certificate"
    assert suggestions.nearest_tags[0] == "certificates"

    assert index.search(SearchRequest("tag:dsn")) == []
    assert index.suggest(SearchRequest("tag:dsn")).corrected_query == "tag:dns"
    assert index.suggest(SearchRequest("title:databse")).corrected_query == "title:database"

    nothing_near = index.suggest(SearchRequest("zzzzqqq"))
    assert nothing_near.corrected_query is None
    assert nothing_near.nearest_tags == ()
    assert nothing_near.popular_tags[0] == "capacity"  # on two incidents, the others on one


def test_suggestion_is_offered_only_if_it_finds_something(index: SearchIndex) -> None:
    # "certificate" exists, but not after 2023: correcting the spelling would not help.
    assert (
        index.suggest(SearchRequest("certifcate", since=dt.date(2023, 1, 1))).corrected_query
        is None
    )


# Output


def test_terminal_output_is_plain_unless_highlighting(index: SearchIndex) -> None:
    results = index.search(SearchRequest("certificate expired"))
    plain = format_results(results, highlight=False)
    assert "\x1b" not in plain
    first = plain.splitlines()
    assert first[0] == " 1. 2022-03-01  SEV-1  Expired TLS certificate took down the public API"
    assert first[1] == "    incidents/cert-expiry/"
    assert "certificate expired" in first[2]
    assert all(len(line) <= 88 for line in plain.splitlines())

    bold = format_results(results, highlight=True, base_url="https://kb.example/")
    assert "\x1b[1mcertificate\x1b[0m \x1b[1mexpired\x1b[0m" in bold
    assert "    https://kb.example/incidents/cert-expiry/" in bold.splitlines()


def test_terminal_output_wraps_long_snippets() -> None:
    result = search.SearchResult(
        id="x",
        url="incidents/x/",
        title="Title\x1b[2J",
        date=dt.date(2023, 1, 1),
        severity="SEV-2",
        status="published",
        tags=(),
        services=(),
        score=1.0,
        snippet="word " * 60,
        highlights=((0, 4),),
    )
    lines = format_results([result], width=40).splitlines()
    assert "\x1b" not in lines[0]
    assert len(lines) > 5
    assert all(len(line) <= 40 for line in lines)


def test_json_output(index: SearchIndex) -> None:
    objects = json.loads(results_as_json(index.search(SearchRequest("certificate"))))
    assert [item["id"] for item in objects] == ["cert-expiry", "queue-backlog"]
    first = objects[0]
    assert {"id", "title", "date", "severity", "score", "url"} <= first.keys()
    assert first["date"] == "2022-03-01"
    assert first["severity"] == "SEV-1"
    assert first["url"] == "incidents/cert-expiry/"
    assert first["score"] > objects[1]["score"] > 0


def test_no_results_message(index: SearchIndex) -> None:
    message = format_no_results("certifcate", index.suggest(SearchRequest("certifcate")))
    assert message.splitlines() == [
        "No incidents match 'certifcate'.",
        "Did you mean: certificate",
        "Nearest tags: tag:certificates",
    ]
    fallback = format_no_results("zzzzqqq", index.suggest(SearchRequest("zzzzqqq")))
    assert fallback.splitlines()[-1].startswith("Most used tags: tag:capacity")


def test_an_index_of_no_incident_can_be_updated(tmp_path: Path) -> None:
    with SearchIndex(tmp_path / "internal") as search_index:
        assert search_index.update([]).rebuilt
        stats = search_index.update(search_documents(LIBRARY[:1]))
        assert (stats.added, stats.rebuilt) == (1, False)
        assert ids(search_index.search(SearchRequest("certificate"))) == ["cert-expiry"]


def test_an_index_whose_documents_mostly_changed_is_written_afresh(
    index: SearchIndex,
) -> None:
    """Replaced documents would stay in whoosh's files and statistics until segments merge."""
    retitled = [edited(incident, title=f"{incident.title} again") for incident in LIBRARY]
    stats = index.update(search_documents(retitled[:3] + list(LIBRARY[3:])))
    assert (stats.rebuilt, stats.reason) == (True, "most documents changed")
    with index._open().reader() as reader:
        assert reader.doc_count_all() == reader.doc_count() == len(LIBRARY)
    stats = index.update(search_documents(retitled[:1] + list(LIBRARY[1:])))
    assert (stats.updated, stats.rebuilt) == (2, False)  # half or fewer: updated in place
