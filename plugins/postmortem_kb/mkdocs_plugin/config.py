"""Options of the `postmortems` plugin, each with what it is for."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c

from ..settings import (
    AUDIENCES,
    DEFAULT_APOLOGY,
    DEFAULT_SEVERITIES,
    DEFAULT_TITLE_PATTERN,
    DEFAULT_TRIGGERS,
)


class PostmortemsConfig(base.Config):
    audience = c.Choice(AUDIENCES, default="internal")
    """Who the site is for: `internal` shows everything, `public` only the allowlist."""
    source_dir = c.Type(str, default="postmortems")
    """Folder of postmortem files, relative to the config file; outside `docs_dir`."""
    timezone = c.Type(str, default="UTC")
    """IANA time zone given to timestamps written without an offset."""
    severities = c.ListOfItems(c.Type(str), default=list(DEFAULT_SEVERITIES))
    """Severity scale, worst first."""
    tags = c.DictOfItems(c.Type(str), default={})
    """Tag vocabulary (tag: description). When set, unknown tags warn."""
    public_tags = c.ListOfItems(c.Type(str), default=[])
    """Tags that may appear on the public site; all others are internal."""
    triggers = c.ListOfItems(c.Type(str), default=list(DEFAULT_TRIGGERS))
    """Trigger vocabulary for trend analysis. When set, unknown triggers warn."""
    title_pattern = c.Type(str, default=DEFAULT_TITLE_PATTERN)
    """Incident page title; fields {title}, {date}, {id}, {severity}."""
    deny = c.ListOfItems(c.Type(str), default=[])
    """Regexes that must never appear in public output, on top of the built-in ones."""
    build_date = c.Optional(c.Type(str))
    """YYYY-MM-DD that overdue follow-ups are judged against; default today."""
    cache_dir = c.Type(str, default=".cache/pmkb")
    """Folder for search indexes, relative to the config file; never inside the site."""
    apology = c.Type(str, default=DEFAULT_APOLOGY)
    """Closing apology of every exported customer-facing postmortem (`pmkb export`)."""
    atomic = c.Type(bool, default=True)
    """Build into a fresh folder and swap it into place only when the build passed."""
