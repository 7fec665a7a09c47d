"""Where each incident type counts: the one place the site applies the `types` rules.

SPEC.md ("Incident model, v2") has the table: an `incident` counts everywhere; a near miss
is listed and counted but never timed; false alarms, game days and maintenance have only
their own list; other companies' incidents (`external`) appear only in the learning gallery.
Every page that lists, counts or measures incidents asks this module which ones, so a type
configured out of the metrics is out of all of them, and a new page cannot forget the rule.

The functions take anything with a `type` (an `Incident`, a `PublicIncident`, a listing row),
so both audiences filter alike. A type missing from the rules (validation reports it) is
listed like an incident and counted in no metric: shown, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol, TypeVar

from ..core.settings import TypeRule

#: The type the `near-misses/` page lists.
NEAR_MISS = "near-miss"
#: A type missing from the rules: listed everywhere, measured nowhere.
UNKNOWN_TYPE_RULE = TypeRule(listed="all")


class Typed(Protocol):
    @property
    def type(self) -> str: ...


T = TypeVar("T", bound=Typed)


def rule_of(incident_type: str, types: Mapping[str, TypeRule]) -> TypeRule:
    return types.get(incident_type, UNKNOWN_TYPE_RULE)


def is_listed_everywhere(incident_type: str, types: Mapping[str, TypeRule]) -> bool:
    """Whether the type is in the incident list, the indexes, the counts, the feeds and the
    trends (`listed: all`); an incident page links its tags and services only then."""
    return rule_of(incident_type, types).listed == "all"


def listed_everywhere(items: Iterable[T], types: Mapping[str, TypeRule]) -> list[T]:
    """The items of the types listed everywhere (`is_listed_everywhere`)."""
    return [item for item in items if is_listed_everywhere(item.type, types)]


def in_gallery_only(items: Iterable[T], types: Mapping[str, TypeRule]) -> list[T]:
    """Incidents of `listed: gallery` types: other companies' postmortems."""
    return [item for item in items if rule_of(item.type, types).listed == "gallery"]


def timed(items: Iterable[T], types: Mapping[str, TypeRule]) -> list[T]:
    """What MTTD, MTTM, MTTR and time to publish measure: types with `metrics: true`."""
    return [item for item in items if rule_of(item.type, types).metrics]


def closure_counted(items: Iterable[T], types: Mapping[str, TypeRule]) -> list[T]:
    """Incidents whose follow-ups count in closure rates: `follow_up_closure: true`."""
    return [item for item in items if rule_of(item.type, types).follow_up_closure]


def of_type(items: Iterable[T], incident_type: str) -> list[T]:
    return [item for item in items if item.type == incident_type]


def own_list_types(types: Mapping[str, TypeRule]) -> list[str]:
    """The types listed only on their own page (`listed: own`), in configuration order."""
    return [name for name, rule in types.items() if rule.listed == "own"]


def type_names(types: Mapping[str, TypeRule], items: Iterable[Typed] = ()) -> list[str]:
    """The configured types, then any other type the items have (sorted)."""
    extra = sorted({item.type for item in items} - set(types))
    return [*types, *extra]


def types_where(
    types: Mapping[str, TypeRule], test: Callable[[TypeRule], bool], items: Iterable[Typed] = ()
) -> tuple[str, ...]:
    """The types (configured, then any other the items have) whose rule passes `test`: what a
    page names when it says which types a figure covers."""
    return tuple(name for name in type_names(types, items) if test(rule_of(name, types)))
