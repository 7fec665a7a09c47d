"""Contributing factors across incidents: `factors/` and `factors/<id>/` (internal site only).

Contributors, mitigators and risks may name a `factor` from the configured vocabulary
(`factors:` option, id → description; `core.model.Factor`). These pages answer "every
incident where a config push without a canary contributed": the overview lists every factor
of the vocabulary and every other id an author used, with its description, the kinds authors
gave it, how many incidents name it (as contributor, mitigator or risk) and the newest of
them; each factor's page lists every use with the words the postmortem used.

Every type counts here, other companies' incidents too: a factor is worth knowing wherever
it showed up (the KPI page leaves out the types configured out of metrics).

Ids that differ only in spelling share a URL slug, so they share one page, named by the
vocabulary's spelling when it has one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..core import urls
from ..core.formatting import slugify
from ..core.model import Factor, Incident
from .render import PageRenderer, RenderedPage

#: The fields that hold factors, and what a factor there is.
ROLES = (("contributors", "contributor"), ("mitigators", "mitigator"), ("risks", "risk"))
#: Incidents the overview lists per factor, newest first; the factor's page has them all.
INCIDENTS_SHOWN = 5


@dataclass(frozen=True)
class FactorUse:
    """One incident naming one factor, in one role, in its own words."""

    incident: Incident
    role: str
    item: Factor


@dataclass(frozen=True)
class FactorSummary:
    id: str
    #: From the vocabulary; None for an id the vocabulary does not have.
    description: str | None
    #: Newest incident first.
    uses: tuple[FactorUse, ...]

    @property
    def incidents(self) -> tuple[Incident, ...]:
        """Each incident naming the factor once, newest first."""
        return tuple({use.incident.id: use.incident for use in self.uses}.values())

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({use.item.kind for use in self.uses if use.item.kind}))

    def count(self, role: str) -> int:
        """Incidents naming the factor in `role`."""
        return len({use.incident.id for use in self.uses if use.role == role})


@dataclass(frozen=True)
class FactorIndex:
    #: Most incidents first (ties by id); vocabulary factors no incident names yet last.
    factors: tuple[FactorSummary, ...]
    #: role → items naming no factor.
    unclassified: dict[str, int]


def factor_index(incidents: Iterable[Incident], vocabulary: Mapping[str, str]) -> FactorIndex:
    newest_first = sorted(incidents, key=lambda i: (i.date, i.id), reverse=True)
    uses: dict[str, list[FactorUse]] = defaultdict(list)
    spellings: dict[str, str] = {slugify(factor_id): factor_id for factor_id in vocabulary}
    unclassified = dict.fromkeys((role for _, role in ROLES), 0)
    for incident in newest_first:
        for field, role in ROLES:
            for item in getattr(incident, field):
                if item.factor is None:
                    unclassified[role] += 1
                    continue
                slug = slugify(item.factor)
                spellings.setdefault(slug, item.factor)
                uses[slug].append(FactorUse(incident, role, item))
    summaries = [
        FactorSummary(spelling, vocabulary.get(spelling), tuple(uses[slug]))
        for slug, spelling in spellings.items()
    ]
    summaries.sort(key=lambda s: (-len(s.incidents), s.id))
    return FactorIndex(tuple(summaries), unclassified)


def factor_pages(
    incidents: Sequence[Incident], renderer: PageRenderer, vocabulary: Mapping[str, str]
) -> dict[str, RenderedPage]:
    """`factors/index.md` and a page per factor (internal site only)."""
    index = factor_index(incidents, vocabulary)
    pages = {
        urls.FACTORS_URI: renderer.render(
            "factors.md.j2",
            urls.FACTORS_URI,
            index=index,
            roles=[role for _, role in ROLES],
            shown=INCIDENTS_SHOWN,
        )
    }
    for summary in index.factors:
        uri = urls.factor_uri(summary.id)
        pages[uri] = renderer.render(
            "factor.md.j2", uri, factor=summary, roles=[role for _, role in ROLES]
        )
    return pages
