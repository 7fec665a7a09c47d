"""Knowledge-base settings shared by the core, the MkDocs plugin and the CLI.

The plugin builds a `Settings` from its typed config; the CLI builds the same object by
loading `mkdocs.yml`. The core only ever sees this plain dataclass.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4")
DEFAULT_TRIGGERS = (
    "configuration", "deployment", "capacity", "third-party", "migration", "hardware",
    "security", "unknown",
)  # fmt: skip
DEFAULT_TITLE_PATTERN = "Postmortem: {title} ({date})"
AUDIENCES = ("internal", "public")
#: The fields a `title_pattern` may use.
TITLE_FIELDS = ("title", "date", "id", "severity")
DEFAULT_APOLOGY = (
    "We are sorry for the disruption this caused you and your customers. We take the "
    "reliability of our service seriously and are working through every action above."
)

#: An e-mail address as a contact: one `@`, a dotted domain, no spaces or URL syntax.
_EMAIL_ADDRESS = re.compile(r"[^@\s:/?#]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}")


@dataclass(frozen=True)
class Contact:
    """How readers reach the organisation: what a page shows, and where the link goes."""

    #: What a page shows: the address of an e-mail contact, else the URL.
    text: str
    href: str

    @property
    def is_email(self) -> bool:
        return self.href.startswith("mailto:")


def parse_contact(written: str) -> Contact:
    """The `contact` option: an e-mail address, a `mailto:` link or an http(s) URL.

    Raises ValueError saying what is expected, so a typo is a configuration error at load
    time rather than a dead link on the landing page.
    """
    value = written.strip()
    address = value.removeprefix("mailto:")
    if _EMAIL_ADDRESS.fullmatch(address):
        return Contact(address, f"mailto:{address}")
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc and not any(c.isspace() for c in value):
        return Contact(value, value)
    raise ValueError(
        f"{written!r} is not a contact; expected an e-mail address (status@example.com), a "
        "mailto: link or an http(s) URL (https://example.com/support)"
    )


#: Where an incident type's incidents are listed (`TypeRule.listed`).
LISTINGS = ("all", "own", "gallery")


@dataclass(frozen=True)
class TypeRule:
    """Where incidents of one `type` count (SPEC, "Incident model, v2": which types count where).

    Defaults keep the metrics what teams expect: other companies' incidents, game days and
    false alarms never move MTTR or the closure rate.
    """

    #: `all`: incident lists, indexes and counts; `own`: only the type's own list;
    #: `gallery`: only the learning gallery (external postmortems).
    listed: str = "all"
    #: Counts in MTTD / MTTM / MTTR and time to publish.
    metrics: bool = False
    #: Its follow-ups count in the on-schedule closure rate.
    follow_up_closure: bool = False
    #: May reach the public site (when published with public text).
    public: bool = True
    #: Fields an incident of this type must have, beyond the format's required ones.
    requires: tuple[str, ...] = ()


DEFAULT_TYPES: dict[str, TypeRule] = {
    "incident": TypeRule(listed="all", metrics=True, follow_up_closure=True),
    "near-miss": TypeRule(listed="all", follow_up_closure=True),
    "false-alarm": TypeRule(listed="own"),
    "game-day": TypeRule(listed="own"),
    "maintenance": TypeRule(listed="own"),
    "external": TypeRule(listed="gallery", public=False, requires=("source_url", "company")),
}
DEFAULT_PHASE_STATES = ("degraded", "outage", "recovering", "monitoring")
#: Metrics a `kpi_targets` entry may name (see `site/kpi.py`).
KPI_METRICS = (
    "mttd", "mttm", "mttr", "time_to_publish", "follow_up_on_time", "recurrence_rate",
)  # fmt: skip


@dataclass(frozen=True)
class QualityOptions:
    """The quality gate's options (`quality:` in the plugin options); see `quality/`."""

    #: Whether the knowledge base has a `quality:` section: without one, every finding is a
    #: warning, so a knowledge base does not start failing on upgrade.
    configured: bool = False
    #: Severity → required items; None: the defaults of `quality/complete.py`.
    completeness: Mapping[str, tuple[str, ...]] | None = None
    #: Days after the incident a postmortem may stay a draft, and may go unpublished.
    draft_days: int = 3
    publish_days: int = 10
    #: Extra blaming phrases, and phrases never flagged (regular expressions).
    blame_phrases: tuple[str, ...] = ()
    blame_allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """Everything the core needs to know about one knowledge base and one build."""

    #: Folder holding the postmortem files (outside `docs_dir`).
    source_dir: Path
    audience: str = "internal"
    #: IANA zone name given to naive timestamps.
    timezone: str = "UTC"
    #: Severity scale, worst first.
    severities: tuple[str, ...] = DEFAULT_SEVERITIES
    #: Tag vocabulary, tag → description. Empty means any tag is accepted silently.
    tags: dict[str, str] = field(default_factory=dict)
    #: Tags that may appear in public output; every other tag is internal (fail closed).
    public_tags: tuple[str, ...] = ()
    #: Trigger vocabulary for trend analysis; an unknown trigger warns. Empty: any trigger.
    triggers: tuple[str, ...] = DEFAULT_TRIGGERS
    #: Page title pattern; fields: {title}, {date}, {id}, {severity}.
    title_pattern: str = DEFAULT_TITLE_PATTERN
    #: Extra deny regexes for the public leak guard.
    deny: tuple[str, ...] = ()
    #: Values a deny pattern may match in public output (a support address); never exempts a
    #: private string of the knowledge base.
    allow: tuple[str, ...] = ()
    #: The date overdue follow-ups are judged against (defaults to today).
    build_date: dt.date = field(default_factory=dt.date.today)
    #: Where search indexes live, outside the site.
    cache_dir: Path = Path(".cache/pmkb")
    #: The site's name and description, for feed titles.
    site_name: str = "Postmortems"
    site_description: str = ""
    #: The closing apology of every exported customer-facing postmortem.
    apology: str = DEFAULT_APOLOGY
    #: The site's absolute URL (ends with `/`); None makes feed links relative to the site root.
    site_url: str | None = None
    #: MkDocs' `use_directory_urls`: how HTML blocks link between generated pages.
    directory_urls: bool = True
    #: Folder of the hand-written pages (MkDocs' `docs_dir`); None: the site has none.
    docs_dir: Path | None = None
    #: Who publishes the knowledge base (public landing page); None: the site's name.
    organisation: str | None = None
    #: How readers reach the organisation (public landing page); exempt from the deny scan.
    contact: Contact | None = None
    #: The quality gate's options.
    quality: QualityOptions = field(default_factory=QualityOptions)
    #: Whether an incident is public only with a public approval of its public text as it is
    #: now (`review.public_fingerprint`); off by default so existing sites keep their pages.
    require_public_approval: bool = False
    #: Incident types and where each counts; the first is the default for files without one.
    types: Mapping[str, TypeRule] = field(default_factory=lambda: dict(DEFAULT_TYPES))
    #: The states an impact phase may have.
    phase_states: tuple[str, ...] = DEFAULT_PHASE_STATES
    #: KPI → target (hours for the durations, a fraction 0..1 for rates).
    kpi_targets: Mapping[str, float] = field(default_factory=dict)
    #: Extra words for a severity (`p1` → `SEV-1`), for search and the files.
    severity_aliases: Mapping[str, str] = field(default_factory=dict)
    #: Link pattern for follow-up tickets, with `{ticket}`; None: tickets are plain text.
    ticket_url: str | None = None
    #: Factor vocabulary, id → description (like `tags`); empty: any factor id is accepted.
    factors: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_public(self) -> bool:
        return self.audience == "public"

    @property
    def organisation_name(self) -> str:
        return self.organisation or self.site_name

    def page_title(self, title: str, date: dt.date, incident_id: str, severity: str) -> str:
        return self.title_pattern.format(
            title=title, date=date.isoformat(), id=incident_id, severity=severity
        )


def settings_from_config(options: Mapping[str, Any], site: Mapping[str, Any]) -> Settings:
    """Settings from the plugin's validated options and the site's configuration.

    `options` are the `postmortems` plugin's options and `site` the top-level keys of
    `mkdocs.yml`, both already validated when the configuration was loaded; relative folders
    are taken from the config file's folder. The plugin and the CLI both call this, so the
    site and the command line can never read the options differently.
    """
    base = Path(site.get("config_file_path") or ".").resolve().parent
    build_date = options.get("build_date")
    contact = options.get("contact")
    return Settings(
        source_dir=(base / options["source_dir"]).resolve(),
        audience=options["audience"],
        timezone=options["timezone"],
        severities=tuple(options["severities"]),
        tags=dict(options["tags"]),
        public_tags=tuple(tag.lower() for tag in options["public_tags"]),
        triggers=tuple(options["triggers"]),
        title_pattern=options["title_pattern"],
        deny=tuple(options["deny"]),
        allow=tuple(options["allow"]),
        build_date=dt.date.fromisoformat(build_date) if build_date else dt.date.today(),
        cache_dir=(base / options["cache_dir"]).resolve(),
        apology=options["apology"],
        site_name=site["site_name"],
        site_description=site.get("site_description") or "",
        site_url=site.get("site_url") or None,
        directory_urls=site["use_directory_urls"],
        docs_dir=(base / site["docs_dir"]).resolve() if site.get("docs_dir") else None,
        organisation=options.get("organisation") or None,
        contact=parse_contact(contact) if contact else None,
        quality=quality_options(options.get("quality")),
        require_public_approval=options["require_public_approval"],
        types=type_rules(options.get("types")),
        phase_states=tuple(options.get("phase_states") or DEFAULT_PHASE_STATES),
        kpi_targets=dict(options.get("kpi_targets") or {}),
        severity_aliases=dict(options.get("severity_aliases") or {}),
        ticket_url=options.get("ticket_url") or None,
        factors=dict(options.get("factors") or {}),
    )


def type_rules(section: Mapping[str, Mapping[str, Any]] | None) -> dict[str, TypeRule]:
    """The `types` option: each named type's rule; a type left out keeps its default.

    Giving a known type only some keys keeps the defaults of the rest, so `types:
    {near-miss: {metrics: true}}` changes that one thing.
    """
    rules = dict(DEFAULT_TYPES)
    for name, given in (section or {}).items():
        base = rules.get(name, TypeRule())
        kept = {key: value for key, value in given.items() if value is not None}
        kept["requires"] = tuple(kept.get("requires", base.requires))
        rules[name] = replace(base, **kept)
    return rules


def quality_options(section: Mapping[str, Any] | None) -> QualityOptions:
    """The gate's options from the validated `quality:` section (None when it is absent)."""
    if section is None:
        return QualityOptions()
    completeness = section.get("completeness")
    blameless = section.get("blameless") or {}
    return QualityOptions(
        configured=True,
        completeness=(
            {severity: tuple(items) for severity, items in completeness.items()}
            if completeness is not None
            else None
        ),
        draft_days=section["draft_days"],
        publish_days=section["publish_days"],
        blame_phrases=tuple(blameless.get("phrases") or ()),
        blame_allow=tuple(blameless.get("allow") or ()),
    )
