"""A small knowledge base to import into, and the corpus of documents written for the tests.

The corpus (`fixtures/import_corpus/`) has a document of each template family and the
variants real repositories have; the spreadsheet in German needs `--map`, as a real one
with unguessable column names would.
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import_corpus"
GERMAN_SPREADSHEET = "incidents-excel-cp1252.csv"
GERMAN_MAP = [
    "Vorfall=title", "Datum=date", "Schweregrad=severity", "Dienst=services",
    "Ursache=contributors", "Maßnahmen=follow_ups", "Notizen=narrative",
]  # fmt: skip

MKDOCS_YML = """\
site_name: Import test
docs_dir: docs
theme: {name: material, font: false}
markdown_extensions: [admonition, attr_list, md_in_html, tables]
plugins:
  search: {}
  postmortems:
    source_dir: postmortems
    timezone: Europe/Berlin
    tags:
      capacity: Running out of headroom
      third-party: Providers
      authentication: Logins and tokens
      configuration: Config changes
"""

ROLES_YML = """\
"@jennifer": {role: incident commander, names: [Jennifer]}
"@martym": {role: site reliability engineer, names: [Marty M]}
"@alex.d": {role: incident commander, names: [Alex Doe]}
"@sam.o": {role: database engineer, names: [Sam Ortiz]}
"@hana.w": observability engineer
"@dev-oncall": developer on-call
"@yuki.t": billing lead
"@ravi.s": site reliability engineer
"@rf": {role: platform engineer, names: [RF]}
"""


def write_import_kb(root: Path) -> Path:
    """An empty knowledge base (config, roles, a home page) at `root`."""
    (root / "postmortems").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    (root / "postmortems" / "_roles.yml").write_text(ROLES_YML, encoding="utf-8")
    (root / "docs" / "index.md").write_text("---\naudience: both\n---\n# Home\n", "utf-8")
    return root


def corpus_documents() -> list[Path]:
    """Every corpus document but the spreadsheet that needs `--map`."""
    return sorted(p for p in FIXTURES.iterdir() if p.is_file() and p.name != GERMAN_SPREADSHEET)
