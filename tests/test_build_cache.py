"""The plan cache (`site/build_cache.py`): a result is reused only for the same inputs.

Digests tell values apart by every field; a file's load is reused while its bytes, the
settings and the evidence files it names are unchanged; the cache survives a new process
(its file) and shrugs off a damaged one; the live preview's deferred results come right.
Whole builds against clean ones: `test_incremental_build.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Sequence
from pathlib import Path

import jinja2
import pytest

from postmortem_kb.core import knowledge_base
from postmortem_kb.core.model import Incident
from postmortem_kb.core.problems import Problem
from postmortem_kb.core.settings import Settings
from postmortem_kb.site import build_cache
from postmortem_kb.site.build_cache import (
    CompiledTemplates,
    Fingerprints,
    PlanCache,
    Unfingerprintable,
    page_identity,
)
from postmortem_kb.site.render import PageRenderer, RenderedPage

POSTMORTEM = """---
title: Zone push removed records
date: 2024-05-02
severity: SEV-2
status: published
services: [edge]
tags: [dns]
key_learning: Keep the zone file under review.
{extra}---

The narrative.
"""


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    when: dt.date
    hidden: dict[str, int] = dataclasses.field(default_factory=dict, repr=False)


def digest(*values: object) -> str:
    return Fingerprints().digest(*values)


def test_equal_values_have_equal_digests_and_any_difference_shows() -> None:
    row = Row("a", dt.date(2024, 1, 2), {"line": 3})
    assert digest(row) == digest(Row("a", dt.date(2024, 1, 2), {"line": 3}))
    assert digest(row) != digest(Row("a", dt.date(2024, 1, 2), {"line": 4}))  # not in repr
    assert digest(["a", 1]) != digest(("a", 1))
    assert digest({"a": 1, "b": 2}) != digest({"b": 2, "a": 1})
    assert digest({"x", "y"}) == digest({"y", "x"})
    assert digest("1") != digest(1) != digest(1.0) != digest(True)
    assert digest(["ab", "c"]) != digest(["a", "bc"])
    assert digest({"k": 1}.__getitem__) != digest({"k": 2}.__getitem__)
    with pytest.raises(Unfingerprintable):
        digest(lambda: 1)


def test_a_named_object_digests_as_its_name() -> None:
    fingerprints = Fingerprints()
    row = Row("a", dt.date(2024, 1, 2))
    fingerprints.name(row, "row-a")
    assert fingerprints.digest(row) != digest(row)
    assert fingerprints.digest(row) == fingerprints.digest(row)


def test_a_page_rendered_twice_has_one_identity_whatever_the_nonce(tmp_path: Path) -> None:
    first, second = _page(tmp_path, "Key facts"), _page(tmp_path, "Key facts")
    assert first.blocks.keys() != second.blocks.keys()  # a fresh nonce each time
    assert page_identity(first) == page_identity(second)
    assert page_identity(first) != page_identity(_page(tmp_path, "Other facts"))


def _page(overrides: Path, text: str) -> RenderedPage:
    """A page with an HTML block, from a renderer of its own (its own nonce)."""
    folder = overrides / "pmkb"
    folder.mkdir(exist_ok=True)
    (folder / "box.html.j2").write_text("<p>{{ text }}</p>\n", encoding="utf-8")
    (folder / "page.md.j2").write_text(
        "# Title\n\n{{ block('box.html.j2', text=text) }}\n", encoding="utf-8"
    )
    return PageRenderer(overrides).render("page.md.j2", "incidents/a/index.md", text=text)


def write_kb(root: Path, extra: str = "") -> tuple[Settings, Path]:
    source = root / "postmortems"
    source.mkdir(parents=True, exist_ok=True)
    path = source / "dns.md"
    path.write_text(POSTMORTEM.format(extra=extra), encoding="utf-8")
    return Settings(source_dir=source, build_date=dt.date(2024, 6, 1)), path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the core reads (and validates), in order."""
    seen: list[Path] = []
    real = knowledge_base.read_file

    def counted(
        path: Path, settings: Settings, roles: dict[str, str]
    ) -> tuple[Incident | None, Sequence[Problem]]:
        seen.append(path)
        return real(path, settings, roles)

    monkeypatch.setattr(build_cache, "read_file", counted)
    return seen


def load(cache: PlanCache, settings: Settings) -> knowledge_base.KnowledgeBase:
    cache.begin(settings, None)
    return knowledge_base.load_knowledge_base(settings, cache.read_files)


def test_an_unchanged_file_is_not_read_again_and_a_changed_one_is(
    tmp_path: Path, reads: list[Path]
) -> None:
    settings, path = write_kb(tmp_path)
    cache = PlanCache(tmp_path / "cache", "internal")
    first = load(cache, settings)
    assert load(cache, settings).incidents == first.incidents
    assert reads == [path]
    path.write_text(path.read_text("utf-8").replace("Zone push", "A zone push"), "utf-8")
    assert load(cache, settings).incidents[0].title == "A zone push removed records"
    assert reads == [path, path]
    load(cache, dataclasses.replace(settings, timezone="Europe/Berlin"))  # other settings
    assert len(reads) == 3


def test_a_file_is_read_again_when_an_evidence_file_it_names_changes(
    tmp_path: Path, reads: list[Path]
) -> None:
    settings, path = write_kb(tmp_path, "evidence:\n  - {caption: The graph, file: graph.txt}\n")
    cache = PlanCache(tmp_path / "cache", "internal")
    missing = load(cache, settings)
    assert missing.incidents == [] and "does not exist" in str(missing.problems.items[0])
    load(cache, settings)
    assert len(reads) == 1
    graph = path.parent / "graph.txt"
    settled(graph, "latency\n")  # appears: read again, now valid
    assert [incident.evidence[0].file for incident in load(cache, settings).incidents] == [
        "graph.txt"
    ]
    load(cache, settings)
    assert len(reads) == 2
    settled(graph, "latency, longer\n")
    load(cache, settings)
    assert len(reads) == 3


def test_an_evidence_file_changed_a_moment_ago_is_looked_at_again(
    tmp_path: Path, reads: list[Path]
) -> None:
    """A second change within the clock's resolution could keep the size and the time."""
    settings, path = write_kb(tmp_path, "evidence:\n  - {caption: The graph, file: graph.txt}\n")
    (path.parent / "graph.txt").write_text("latency\n", encoding="utf-8")
    cache = PlanCache(tmp_path / "cache", "internal")
    load(cache, settings)
    load(cache, settings)
    assert len(reads) == 2


def settled(path: Path, text: str) -> None:
    """Write `path` as if some seconds ago (a file nobody is saving right now)."""
    path.write_text(text, encoding="utf-8")
    past = time.time() - 10
    os.utime(path, (past, past))


def test_the_cache_outlives_the_process_and_a_damaged_file_is_ignored(
    tmp_path: Path, reads: list[Path]
) -> None:
    settings, path = write_kb(tmp_path)
    cache = PlanCache(tmp_path / "cache", "internal")
    load(cache, settings)
    cache.save()
    assert cache.path.is_file()
    load(PlanCache(tmp_path / "cache", "internal"), settings)
    assert reads == [path]
    cache.path.write_bytes(b"not a pickle")
    assert load(PlanCache(tmp_path / "cache", "internal"), settings).incidents
    assert reads == [path, path]


#: The words `joined` was called with (only a module-level function's results are kept).
JOINED: list[tuple[str, ...]] = []


def joined(words: tuple[str, ...]) -> str:
    JOINED.append(words)
    return " ".join(words)


def test_a_deferred_result_is_the_last_one_until_it_is_computed_again(tmp_path: Path) -> None:
    settings, _ = write_kb(tmp_path)
    cache = PlanCache(tmp_path / "cache", "internal")
    JOINED.clear()
    cache.begin(settings, None)
    assert cache.result(joined, ("a", "b")) == "a b"
    cache.defer(joined)
    cache.begin(settings, None)
    assert cache.result(joined, ("a", "c")) == "a b"  # the last result, for now
    done: list[bool] = []
    assert cache.revalidate(lambda: done.append(True))
    cache.begin(settings, None)  # waits for the computation
    assert done == [True]
    assert cache.result(joined, ("a", "c")) == "a c"
    assert JOINED == [("a", "b"), ("a", "c")]


def test_compiled_templates_are_kept_apart_by_how_an_environment_compiles(
    tmp_path: Path,
) -> None:
    templates = CompiledTemplates(tmp_path / "templates")
    loader = jinja2.DictLoader({"t.html": "{{ value }}"})
    for _ in range(2):  # the second time from the compiled templates
        plain = jinja2.Environment(loader=loader, bytecode_cache=templates)
        escaping = jinja2.Environment(loader=loader, bytecode_cache=templates, autoescape=True)
        assert plain.get_template("t.html").render(value="<b>") == "<b>"
        assert escaping.get_template("t.html").render(value="<b>") == "&lt;b&gt;"
    assert len(list((tmp_path / "templates").iterdir())) == 2
