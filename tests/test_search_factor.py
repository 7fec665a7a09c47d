"""`factor:<id>` in a search: the incidents where a shared contributing factor played a part,
found like `tag:` finds a theme (an exact filter, `-` to exclude, `*` for a prefix)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from postmortem_kb.core.model import Factor, Incident
from postmortem_kb.search.documents import document_from_public, search_documents
from postmortem_kb.search.index import SearchIndex, SearchRequest
from test_public_projection import incident as marked_incident
from test_public_projection import project


def incident(incident_id: str, *factors: Factor) -> Incident:
    return Incident(
        id=incident_id,
        source=f"postmortems/{incident_id}.md",
        title=f"Outage {incident_id}",
        date=dt.date(2023, 1, 1),
        severity="SEV-2",
        contributors=factors[:1],
        risks=factors[1:],
    )


CANARY = Factor("A config push reached every region at once.", factor="config-push-no-canary")
LIBRARY = (
    incident("edge-config", CANARY, Factor("Other files ship the same way.", factor="retry-storm")),
    incident("waf-regex", Factor("The rule went out globally.", factor="config-push-no-canary")),
    incident("queue-backlog", Factor("Retries multiplied the load.", factor="retry-storm")),
    incident("plain", Factor("A plain contributor without a factor id.")),
)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SearchIndex]:
    with SearchIndex(tmp_path / "internal", lock_timeout=0.2) as search_index:
        search_index.update(search_documents(LIBRARY))
        yield search_index


def ids(index: SearchIndex, query: str) -> list[str]:
    return sorted(result.id for result in index.search(SearchRequest(query)))


def test_a_document_holds_each_factor_id_of_the_incident_once() -> None:
    [edge, *_] = search_documents(LIBRARY)
    assert edge.factors == ("config-push-no-canary", "retry-storm")


def test_factor_filters_like_tag(index: SearchIndex) -> None:
    assert ids(index, "factor:config-push-no-canary") == ["edge-config", "waf-regex"]
    assert ids(index, "factor:Retry-Storm") == ["edge-config", "queue-backlog"]  # any case
    assert ids(index, "factor:config-push-no-canary -factor:retry-storm") == ["waf-regex"]
    assert ids(index, "factors:config-*") == ["edge-config", "waf-regex"]
    assert ids(index, "factor:nothing-like-it") == []


def test_a_misspelt_factor_is_corrected_like_a_tag(index: SearchIndex) -> None:
    assert index.search(SearchRequest("factor:retry-strom")) == []
    suggestions = index.suggest(SearchRequest("factor:retry-strom"))
    assert suggestions.corrected_query == "factor:retry-storm"


def test_factor_ids_never_reach_a_public_document() -> None:
    public = project(marked_incident()).incident
    assert public is not None
    assert document_from_public(public).factors == ()
