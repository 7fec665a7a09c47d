"""postmortem-kb: a static site generator for incident postmortem knowledge bases.

A package per stage of the pipeline, imported one way from top to bottom (the contracts in
pyproject.toml, checked by the test suite):

    cli | mkdocs_plugin   the two front ends, thin and never importing each other
    site                  plan one audience's site, render its pages, guard and publish it
    search                the whoosh index, `pmkb search`, related incidents
    public                the allowlist projection, internal markup, the leak scan
    core                  model, settings, loading and validation, side files, the URL map

Nothing below the front ends knows of MkDocs.
"""

from __future__ import annotations

__version__ = "0.1.0"
