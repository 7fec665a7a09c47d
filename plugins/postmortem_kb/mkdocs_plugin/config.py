"""Options of the `postmortems` plugin, each with what it is for.

Options validate themselves: a bad time zone, deny regex, build date or title pattern is a
configuration error when MkDocs loads `mkdocs.yml` (the same for `pmkb`, which loads it too),
naming the option, before any file is read.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mkdocs.config import base
from mkdocs.config import config_options as c

from ..core.settings import (
    AUDIENCES,
    DEFAULT_APOLOGY,
    DEFAULT_PHASE_STATES,
    DEFAULT_SEVERITIES,
    DEFAULT_TITLE_PATTERN,
    DEFAULT_TRIGGERS,
    KPI_METRICS,
    LISTINGS,
    TITLE_FIELDS,
    parse_contact,
)
from ..public.deny import compile_deny
from ..quality.complete import COMPLETENESS_ITEMS


class TimeZone(c.Type[str]):
    """An IANA time zone name."""

    def __init__(self, default: str) -> None:
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        name = super().run_validation(value)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise c.ValidationError(
                f"'{name}' is not a known time zone; expected an IANA name such as UTC or "
                "Europe/Berlin"
            ) from None
        return name


class RegexList(c.ListOfItems[str]):
    """Regular expressions that must compile (`check` may ask more of them)."""

    def __init__(self) -> None:
        super().__init__(c.Type(str), default=[])

    def run_validation(self, value: object) -> list[str]:
        patterns = super().run_validation(value)
        try:
            self.check(patterns)
        except (ValueError, re.error) as exc:
            raise c.ValidationError(str(exc)) from None
        return patterns

    def check(self, patterns: list[str]) -> None:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"{pattern!r} is not a valid regular expression: {error}"
                ) from None


class DenyPatterns(RegexList):
    """Deny regexes: they must compile and must not match empty text (see `compile_deny`)."""

    def check(self, patterns: list[str]) -> None:
        compile_deny(patterns)


class IsoDate(c.BaseConfigOption[str]):
    """A `YYYY-MM-DD` date, kept as text (Settings parses it)."""

    def run_validation(self, value: object) -> str:
        text = value.isoformat() if isinstance(value, dt.date) else value
        if not isinstance(text, str):
            raise c.ValidationError(f"expected a date YYYY-MM-DD, got {value!r}")
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise c.ValidationError(f"'{text}' is not a date; expected YYYY-MM-DD") from None
        return text


class TitlePattern(c.Type[str]):
    """A `str.format` pattern using only the fields a page title has."""

    def __init__(self, default: str) -> None:
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        pattern = super().run_validation(value)
        try:
            pattern.format(**dict.fromkeys(TITLE_FIELDS, ""))
        except (KeyError, IndexError, ValueError) as exc:
            fields = ", ".join("{" + name + "}" for name in TITLE_FIELDS)
            raise c.ValidationError(f"unknown field {exc}; expected only {fields}") from None
        return pattern


class ContactAddress(c.Type[str]):
    """An e-mail address, a `mailto:` link or an http(s) URL (see `parse_contact`)."""

    def __init__(self) -> None:
        super().__init__(str)

    def run_validation(self, value: object) -> str:
        contact = super().run_validation(value)
        try:
            parse_contact(contact)
        except ValueError as exc:
            raise c.ValidationError(str(exc)) from None
        return contact


class BlamelessConfig(base.Config):
    phrases = RegexList()
    """Extra blaming phrases to flag (regular expressions, case-insensitive)."""
    allow = RegexList()
    """Phrases never flagged as blame, such as the team's own technical terms."""


class QualityConfig(base.Config):
    completeness = c.Optional(c.DictOfItems(c.ListOfItems(c.Choice(COMPLETENESS_ITEMS))))
    """What each severity needs from `review` on (severity: [items]); default in the docs."""
    draft_days = c.Type(int, default=3)
    """Days after the incident a postmortem may stay a draft before `process/draft-age`."""
    publish_days = c.Type(int, default=10)
    """Days after the incident until `process/publish-age` asks for it to be published."""
    blameless = c.SubConfig(BlamelessConfig)
    """The blaming-language rules' own wording lists."""


class QualitySection(c.SubConfig[QualityConfig]):
    """The `quality:` section, or None when the knowledge base has none (see QualityOptions):
    a plain SubConfig would fill in its defaults and hide that it was never written."""

    def __init__(self) -> None:
        super().__init__(QualityConfig)
        self.default = None

    def run_validation(self, value: object) -> QualityConfig | None:  # type: ignore[override]
        return None if value is None else super().run_validation(value)


class TypeConfig(base.Config):
    """One incident type's rule (see `core.settings.TypeRule`); keys left out keep the
    type's default (or, for a new type, count nowhere)."""

    listed = c.Optional(c.Choice(LISTINGS))
    """`all` (incident lists and counts), `own` (its own list only) or `gallery`."""
    metrics = c.Optional(c.Type(bool))
    """Counts in MTTD / MTTM / MTTR and time to publish."""
    follow_up_closure = c.Optional(c.Type(bool))
    """Its follow-ups count in the on-schedule closure rate."""
    public = c.Optional(c.Type(bool))
    """May reach the public site when published."""
    requires = c.Optional(c.ListOfItems(c.Type(str)))
    """Fields every incident of this type must have."""


class TicketPattern(c.Type[str]):
    """A ticket link pattern: an http(s) URL with exactly one `{ticket}`."""

    def __init__(self) -> None:
        super().__init__(str)

    def run_validation(self, value: object) -> str:
        pattern = super().run_validation(value)
        if not pattern.startswith(("https://", "http://")) or pattern.count("{ticket}") != 1:
            raise c.ValidationError(
                f"{pattern!r} is not a ticket link pattern; expected an http(s) URL with one "
                "{ticket}, e.g. https://tracker.example.com/browse/{ticket}"
            )
        return pattern


class KpiTargets(c.DictOfItems[float]):
    """`kpi_targets`: known metric names only, each a number."""

    def __init__(self) -> None:
        super().__init__(c.Type((int, float)), default={})

    def run_validation(self, value: object) -> dict[str, float]:
        targets = super().run_validation(value)
        unknown = sorted(set(targets) - set(KPI_METRICS))
        if unknown:
            raise c.ValidationError(
                f"unknown KPI {', '.join(unknown)}; expected some of {', '.join(KPI_METRICS)}"
            )
        return targets


class SeverityAliases(c.DictOfItems[str]):
    """`severity_aliases`: each alias names a severity of the configured scale, so a typo in
    the configuration is an error at load time rather than a word search quietly ignores."""

    def __init__(self) -> None:
        super().__init__(c.Type(str), default={})

    def post_validation(self, config: base.Config, key_name: str) -> None:
        scale = config["severities"]
        wrong = {
            alias: level
            for alias, level in config[key_name].items()
            if not any(level.strip().lower() == known.lower() for known in scale)
        }
        if wrong:
            alias, level = next(iter(wrong.items()))
            raise c.ValidationError(
                f"alias {alias!r} names {level!r}, which is not on the severity scale; "
                f"expected one of {', '.join(scale)}"
            )


class PostmortemsConfig(base.Config):
    audience = c.Choice(AUDIENCES, default="internal")
    """Who the site is for: `internal` shows everything, `public` only the allowlist."""
    source_dir = c.Type(str, default="postmortems")
    """Folder of postmortem files, relative to the config file; outside `docs_dir`."""
    timezone = TimeZone(default="UTC")
    """IANA time zone given to timestamps written without an offset."""
    severities = c.ListOfItems(c.Type(str), default=list(DEFAULT_SEVERITIES))
    """Severity scale, worst first."""
    tags = c.DictOfItems(c.Type(str), default={})
    """Tag vocabulary (tag: description). When set, unknown tags warn."""
    public_tags = c.ListOfItems(c.Type(str), default=[])
    """Tags that may appear on the public site; all others are internal."""
    triggers = c.ListOfItems(c.Type(str), default=list(DEFAULT_TRIGGERS))
    """Trigger vocabulary for trend analysis. When set, unknown triggers warn."""
    title_pattern = TitlePattern(default=DEFAULT_TITLE_PATTERN)
    """Incident page title; fields {title}, {date}, {id}, {severity}."""
    deny = DenyPatterns()
    """Regexes that must never appear in public output, on top of the built-in ones."""
    allow = c.ListOfItems(c.Type(str), default=[])
    """Values that may appear in public output although a deny pattern matches them (a support
    address); never a value the knowledge base keeps private. The `contact` is allowed too."""
    build_date = c.Optional(IsoDate())
    """YYYY-MM-DD that overdue follow-ups are judged against; default today."""
    cache_dir = c.Type(str, default=".cache/pmkb")
    """Folder for search indexes, relative to the config file; never inside the site."""
    apology = c.Type(str, default=DEFAULT_APOLOGY)
    """Closing apology of every exported customer-facing postmortem (`pmkb export`)."""
    atomic = c.Type(bool, default=True)
    """Build into a fresh folder and swap it into place only when the build passed."""
    organisation = c.Optional(c.Type(str))
    """Who publishes the incident reports, named on the public landing page; default the
    site name."""
    contact = c.Optional(ContactAddress())
    """How readers reach you (e-mail address or URL), on the public landing page."""
    quality = QualitySection()
    """The quality gate (`pmkb check`); without it every finding is only a warning."""
    require_public_approval = c.Type(bool, default=False)
    """Publish an incident only once `pmkb approve ID --public` approved its public text as it
    is now; off by default, so an existing public site does not empty on upgrade."""
    types = c.Optional(c.DictOfItems(c.SubConfig(TypeConfig)))
    """Incident types and where each counts (type: {listed, metrics, follow_up_closure, public,
    requires}); the defaults are in SPEC.md, "Incident model, v2"."""
    phase_states = c.ListOfItems(c.Type(str), default=list(DEFAULT_PHASE_STATES))
    """The states an impact phase may have."""
    kpi_targets = KpiTargets()
    """KPI targets for the KPI page (metric: target; hours for durations, 0..1 for rates)."""
    severity_aliases = SeverityAliases()
    """Extra words for severities (`p1: SEV-1`), in files and in search."""
    ticket_url = c.Optional(TicketPattern())
    """Link pattern for follow-up tickets, e.g. https://tracker.example.com/browse/{ticket}."""
    factors = c.DictOfItems(c.Type(str), default={})
    """Contributing-factor vocabulary (id: description), like `tags`; unknown ids warn."""

