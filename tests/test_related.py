"""Related incidents: manual links first, then the most similar, per audience."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from postmortem_kb.core.model import Incident, PublicIncident
from postmortem_kb.search.documents import SearchDocument, search_documents
from postmortem_kb.search.related import (
    SERVICE_WEIGHT,
    TAG_WEIGHT,
    TEXT_WEIGHT,
    _profiles,
    _similar,
    compute_related,
)


def make_incident(incident_id: str, **fields: Any) -> Incident:
    fields.setdefault("title", f"Incident {incident_id}")
    fields.setdefault("date", dt.date(2023, 1, 1))
    fields.setdefault("severity", "SEV-3")
    return Incident(id=incident_id, source=f"postmortems/{incident_id}.md", **fields)


def make_public(incident_id: str, title: str, summary: str, **fields: Any) -> PublicIncident:
    return PublicIncident(
        id=incident_id,
        title=title,
        summary=summary,
        date=dt.date(2023, 1, 1),
        severity="SEV-2",
        **fields,
    )


LIBRARY = (
    make_incident(
        "cert-2019",
        title="Wildcard certificate expired on the API gateway",
        summary="The TLS certificate expired and handshakes failed.",
        tags=("certificates",),
        services=("api-gateway",),
        related=("dns-2021",),
    ),
    make_incident(
        "cert-2021",
        title="Intermediate certificate missing after renewal",
        summary="A renewed certificate shipped without its chain; TLS handshakes failed.",
        tags=("certificates",),
        services=("api-gateway", "cdn"),
    ),
    make_incident(
        "cert-2023",
        title="Certificate renewal job silently stopped",
        summary="The renewal cron stopped and a certificate expired.",
        tags=("certificates", "monitoring"),
        services=("cdn",),
    ),
    make_incident(
        "dns-2021",
        title="DNS resolvers overloaded",
        summary="Resolvers fell over under a traffic spike.",
        tags=("dns", "capacity"),
        services=("resolver",),
    ),
    make_incident(
        "dns-2022",
        title="DNS zone push broke resolution",
        summary="A bad zone file made resolvers return NXDOMAIN.",
        tags=("dns", "configuration"),
        services=("resolver",),
    ),
    make_incident(
        "db-2020",
        title="Database failover stalled",
        summary="Replica promotion got stuck behind replication lag.",
        tags=("database",),
        services=("payments",),
    ),
)


def manual_links(incidents: tuple[Incident, ...]) -> dict[str, tuple[str, ...]]:
    return {incident.id: incident.related for incident in incidents}


def test_similar_incidents_rank_first() -> None:
    related = compute_related(search_documents(LIBRARY))
    assert set(related["cert-2021"][:2]) == {"cert-2019", "cert-2023"}
    assert related["dns-2022"][0] == "dns-2021"
    assert "db-2020" not in related["cert-2021"]


def test_incident_sharing_nothing_has_no_related() -> None:
    related = compute_related(search_documents(LIBRARY))
    assert related["db-2020"] == []
    assert set(related) == {incident.id for incident in LIBRARY}


def test_manual_links_come_first_and_count_both_ways() -> None:
    related = compute_related(search_documents(LIBRARY), manual_links(LIBRARY))
    assert related["cert-2019"][0] == "dns-2021"  # named by its author, though less similar
    assert set(related["cert-2019"][1:3]) == {"cert-2021", "cert-2023"}
    assert related["dns-2021"][0] == "cert-2019"  # named by the other incident


def test_manual_links_to_unknown_ids_and_self_are_dropped() -> None:
    manual = {"db-2020": ("db-2020", "no-such-incident"), "ghost": ("db-2020",)}
    related = compute_related(search_documents(LIBRARY), manual)
    assert related["db-2020"] == []
    assert "ghost" not in related


def test_never_relates_an_incident_to_itself_nor_repeats() -> None:
    manual = {"cert-2019": ("cert-2021", "cert-2021"), "cert-2021": ("cert-2019",)}
    related = compute_related(search_documents(LIBRARY), manual)
    for incident_id, others in related.items():
        assert incident_id not in others
        assert len(others) == len(set(others))


def test_public_incidents_relate_only_to_public_incidents() -> None:
    public = [
        make_public("cert-2019", "API unavailable", "Clients saw TLS certificate errors."),
        make_public("cert-2023", "CDN unavailable", "An expired certificate broke TLS."),
        make_public("dns-2022", "Name resolution errors", "Some domains did not resolve."),
    ]
    # The internal library links cert-2019 to dns-2021, which is not public.
    related = compute_related(search_documents(public), manual_links(LIBRARY))
    public_ids = {incident.id for incident in public}
    assert set(related) == public_ids
    for incident_id, others in related.items():
        assert set(others) <= public_ids - {incident_id}
    assert related["cert-2019"][0] == "cert-2023"


def test_order_is_deterministic() -> None:
    documents = search_documents(LIBRARY)
    expected = compute_related(documents, manual_links(LIBRARY))
    shuffled = list(documents)
    random.Random(3).shuffle(shuffled)
    assert compute_related(shuffled, manual_links(LIBRARY)) == expected


def test_equal_scores_are_ordered_by_id() -> None:
    twins = [
        make_incident(name, title="Kafka consumer lag", summary="Consumers lagged behind.")
        for name in ("c", "a", "b", "d")
    ]
    related = compute_related(search_documents([*twins, *LIBRARY]))
    assert related["d"] == ["a", "b", "c"]
    assert related["a"] == ["b", "c", "d"]


def test_limits_between_minimum_and_maximum() -> None:
    documents = [
        SearchDocument(
            id=f"lag-{number}",
            url=f"incidents/lag-{number}/",
            title="Replication lag on the primary database",
            date=dt.date(2023, 1, 1),
            severity="SEV-3",
            status="published",
            tags=("database",),
            summary="Replication lag grew until the replica was promoted.",
        )
        for number in range(10)
    ]
    library = [*documents, *search_documents(LIBRARY)]
    related = compute_related(library)
    assert all(len(related[document.id]) == 5 for document in documents)
    limited = compute_related(library, limit=2)
    assert all(len(limited[document.id]) == 2 for document in documents)


TOPICS = {
    "certificates": "certificate renewal expiry tls handshake chain wildcard acme",
    "dns": "dns resolver zone nxdomain ttl cname nameserver propagation",
    "database": "database replica failover replication lag vacuum deadlock pool",
    "capacity": "autoscaler saturation backlog throttling quota spike memory",
    "network": "balancer partition packet loss firewall bgp mtu retransmit",
}


def topical_documents(count: int, seed: int) -> list[SearchDocument]:
    """`count` incidents, each about one topic of `TOPICS`, told with its words and filler."""
    rng = random.Random(seed)
    filler = ["customers", "errors", "latency", "paged", "rollback", "mitigation", "runbook"]
    services = ["api", "auth", "billing", "search", "cdn", "payments", "orders", "email"]
    documents = []
    for number in range(count):
        topic = rng.choice(list(TOPICS))
        words = TOPICS[topic].split()
        text = " ".join(rng.choice(words + filler) for _ in range(120))
        documents.append(
            SearchDocument(
                id=f"incident-{number:03d}",
                url=f"incidents/incident-{number:03d}/",
                title=" ".join(rng.sample(words, 3)),
                date=dt.date(2020, 1, 1) + dt.timedelta(days=number),
                severity="SEV-2",
                status="published",
                tags=(topic,),
                services=tuple(rng.sample(services, 2)),
                summary=" ".join(rng.sample(words, 5)),
                text=text,
            )
        )
    return documents


def test_a_small_library_is_compared_pair_by_pair() -> None:
    # Forty incidents: no inverted list is cut and every one fits the shortlist, so the
    # scores must be exactly the blended cosines of every pair.
    documents = topical_documents(40, seed=5)
    profiles = _profiles(documents)

    def cosine(one: dict[str, float], other: dict[str, float]) -> float:
        return sum(weight * other.get(feature, 0.0) for feature, weight in one.items())

    def blend(one: int, other: int) -> float:
        mine, theirs = profiles[one], profiles[other]
        return (
            TEXT_WEIGHT * cosine(mine.terms, theirs.terms)
            + TAG_WEIGHT * cosine(mine.tags, theirs.tags)
            + SERVICE_WEIGHT * cosine(mine.services, theirs.services)
        )

    similar = _similar(documents)
    for index, document in enumerate(documents):
        expected = sorted(
            (
                (documents[other].id, round(blend(index, other), 9))
                for other in range(len(documents))
                if other != index and blend(index, other) > 0
            ),
            key=lambda pair: (-pair[1], pair[0]),
        )
        assert [other for other, _ in similar[document.id]] == [other for other, _ in expected]
        assert [score for _, score in similar[document.id]] == pytest.approx(
            [score for _, score in expected], abs=1e-8
        )


def test_a_few_hundred_incidents_relate_within_bounds() -> None:
    documents = topical_documents(400, seed=11)
    topic_of = {document.id: document.tags[0] for document in documents}
    related = compute_related(documents)
    assert set(related) == set(topic_of)
    for incident_id, others in related.items():
        assert 3 <= len(others) <= 5
        assert incident_id not in others
        assert topic_of[others[0]] == topic_of[incident_id]
