"""Benchmark whole-site builds against plain mkdocs-material as the library grows.

For each N it writes the same N synthetic incidents three times:
- **ours**: postmortem files in the SPEC format (YAML front matter + Markdown narrative) in a
  knowledge base built by the `postmortems` plugin;
- **baseline**: the same facts as hand-written Markdown pages in `docs/` of a plain
  mkdocs-material site: the same search plugin, Markdown extensions and theme, the same
  browse pages as Markdown tables (every incident; incidents per tag, service, severity,
  year) and the same nav policy (overview pages in the sidebar, incident pages not);
- **leanest baseline**: the same incident pages alone, their tags in front matter, in a
  mkdocs-material site with only the search and tags plugins and no browse pages.

Each is built with the real `mkdocs build --strict` in a subprocess, `--repeat` times from
scratch (no caches: a cold build), the three in turn in each round, so that the machine's
speed drifting between minutes weighs on all three alike; the table shows per N: median
build seconds (of the rounds), ms per
incident, the ratio to the leanest baseline, output MB and `search/` KB per incident (the
theme's index, and ours the search box loads in pieces), and the peak RSS of the build
process. Then it times `pmkb build` on our knowledge base as an author runs it again, a
whole process with the caches the last build left (`cache_dir`): with nothing changed, and
after one postmortem's text was edited (median of `--repeat` runs each, after one to warm
up), also as a ratio to the leanest baseline's cold build. It checks that every incident can
still be found in the search box's index by every word of its title, key learning, summary,
tags and services, then prints the targets and exits with status 1 when one is missed. At
N ≤ 500 it also builds the baseline once with every page in the sidebar, to show what that
costs.

    python benchmarks/build.py [--n 1000 2000] [--repeat 3] [--seed 7] [--keep DIR]
    python benchmarks/build.py --n 2000 10000      # the scaling and memory targets

The incidents come from `benchmarks/search.py`'s generator (themed, overlapping
vocabulary), filled out to a realistic size: impact times, a timeline of 6-14 entries,
follow-ups, a narrative of a few paragraphs under headings, and a customer-facing section.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

BENCHMARKS = Path(__file__).resolve().parent
# Runs from a checkout without an installed package, as `python benchmarks/build.py`.
sys.path.insert(0, str(BENCHMARKS.parent / "plugins"))
sys.path.insert(0, str(BENCHMARKS))

from search import THEMES, generate_incidents, pmkb_command  # noqa: E402

from postmortem_kb.core.formatting import slugify  # noqa: E402
from postmortem_kb.core.model import FollowUp, Impact, Incident, PublicView  # noqa: E402
from postmortem_kb.search.browser_index import indexed_urls  # noqa: E402
from postmortem_kb.search.terms import terms  # noqa: E402
from postmortem_kb.site.search_box import SEARCH_INDEX_FOLDER  # noqa: E402

#: Targets from the issue.
TARGET_RATIO = 1.2  # ours / baseline build time at N = 2,000
TARGET_LEAN_RATIO = 1.2  # ours, cold / the leanest baseline at N = 1,000 and 2,000
TARGET_WARM_RATIO = 0.5  # `pmkb build` again, cache present / the leanest baseline at 2,000
TARGET_SCALING = 5.5  # time(10,000) / time(2,000)
TARGET_RSS_MB = 1536  # peak RSS at N = 10,000
TARGET_SEARCH_KB = 3.0  # search/ (the theme's index and the search box's) per incident
FULL_NAV_MAX_N = 500  # the every-page-in-the-sidebar baseline is only built up to this size
TAGS = sorted({tag for _, _, tags in THEMES.values() for tag in tags.split("|")})
SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4")
MARKDOWN_EXTENSIONS: list[Any] = [
    "tables", "admonition", "attr_list", "md_in_html", "def_list", "pymdownx.details",
    "pymdownx.superfences", {"toc": {"permalink": True}},
]  # fmt: skip
THEME = {
    "name": "material",
    "font": False,
    "features": ["navigation.sections", "navigation.top", "search.suggest", "search.highlight"],
}
#: Generated per-value pages and incident pages stay out of the sidebar, in both sites.
NOT_IN_NAV = "\n".join(f"/{section}/*/" for section in (
    "incidents", "tags", "services", "severity", "years"
))  # fmt: skip
BROWSE_NAV: list[Any] = [
    {"Incidents": "incidents/index.md"},
    {"Browse": [
        {"Tags": "tags/index.md"},
        {"Services": "services/index.md"},
        {"Severity": "severity/index.md"},
        {"Years": "years/index.md"},
    ]},
]  # fmt: skip
#: The fields a reader must be able to find an incident by, in the client search index.
FINDABLE_FIELDS = ("title", "key_learning", "summary", "tags", "services")


# --- The synthetic library ---------------------------------------------------------------


def synthetic_library(count: int, seed: int) -> list[Incident]:
    """`count` incidents of realistic size, newest first (ties by id) like the site lists."""
    rng = random.Random(seed)
    incidents = [_fill_out(incident, rng) for incident in generate_incidents(count, seed)]
    incidents.sort(key=lambda incident: incident.id)
    incidents.sort(key=lambda incident: incident.date, reverse=True)
    return incidents


def _fill_out(incident: Incident, rng: random.Random) -> Incident:
    """Add what the search benchmark's incidents lack: impact, follow-ups, a public view."""
    timeline = tuple(
        dataclasses.replace(entry, kind=rng.choice(["alert", "action", "decision", None]),
                            public=index % 3 == 0)
        for index, entry in enumerate(incident.timeline)
    )
    started = timeline[0].at
    detected = started + dt.timedelta(minutes=rng.randint(2, 40))
    mitigated = detected + dt.timedelta(minutes=rng.randint(10, 180))
    lessons = incident.learnings["technical"]
    follow_ups = tuple(
        FollowUp(
            action=lesson.capitalize() + ".",
            owner=f"team-{rng.choice(['payments', 'platform', 'edge', 'data'])}",
            due=incident.date + dt.timedelta(days=rng.randint(7, 60)),
            status=rng.choice(["open", "done", "done"]),
            ticket=f"OPS-{rng.randint(100, 9999)}",
            priority=rng.choice(["P1", "P2", "P3"]),
            public=index == 0,
        )
        for index, lesson in enumerate(lessons)
    )
    paragraphs = incident.body.split("\n\n")
    headings = ["## What happened", "## Why it took so long", "## What we changed"]
    body = "\n\n".join(
        f"{headings[index]}\n\n{paragraph}" if index < len(headings) else paragraph
        for index, paragraph in enumerate(paragraphs)
    )
    return dataclasses.replace(
        incident,
        timeline=timeline,
        impact=Impact(
            started=started,
            detected=detected,
            mitigated=mitigated,
            resolved=mitigated + dt.timedelta(minutes=rng.randint(0, 120)),
            customer=f"About {rng.randint(1, 90)}% of requests failed for "
                     f"{(mitigated - started).seconds // 60} minutes.",
            data_loss=False,
        ),
        commander="incident commander on duty",
        owner="service owner",
        mitigators=incident.contributors[:1],
        went_well=("The rollback was quick.",),
        went_wrong=incident.contributors[1:2],
        follow_ups=follow_ups,
        body=body,
        public=PublicView(
            summary=incident.summary,
            title=f"Service disruption on {incident.date:%d %B %Y}",
            impact="Some customers saw errors while the service was degraded.",
            remediation="We fixed the cause and added monitoring so it is caught earlier.",
        ),
    )


def postmortem_file(incident: Incident) -> str:
    """The incident as a postmortem file in the SPEC format, the way an author writes it."""
    fields: dict[str, Any] = {
        "id": incident.id,
        "title": incident.title,
        "date": incident.date.isoformat(),
        "status": incident.status,
        "severity": incident.severity,
        "services": list(incident.services),
        "tags": list(incident.tags),
        "trigger": incident.trigger,
        "impact": {
            "started": _stamp(incident.impact.started),
            "detected": _stamp(incident.impact.detected),
            "mitigated": _stamp(incident.impact.mitigated),
            "resolved": _stamp(incident.impact.resolved),
            "customer": incident.impact.customer,
            "data_loss": False,
        },
        "commander": incident.commander,
        "owner": incident.owner,
        "key_learning": incident.key_learning,
        "summary": incident.summary,
        "timeline": [
            {"at": _timeline_at(entry.at, previous.at if previous else None),
             "event": entry.event,
             **({"kind": entry.kind} if entry.kind else {}),
             **({"public": True} if entry.public else {})}
            for previous, entry in zip((None, *incident.timeline), incident.timeline, strict=False)
        ],
        "contributors": list(incident.contributors),
        "mitigators": list(incident.mitigators),
        "learnings": {category: list(items) for category, items in incident.learnings.items()},
        "went_well": list(incident.went_well),
        "went_wrong": list(incident.went_wrong),
        "follow_ups": [
            {"action": f.action, "owner": f.owner, "due": f.due.isoformat() if f.due else None,
             "status": f.status, "ticket": f.ticket, "priority": f.priority,
             **({"public": True} if f.public else {})}
            for f in incident.follow_ups
        ],
        "public": dataclasses.asdict(incident.public) if incident.public else None,
    }
    if fields["public"]:
        fields["public"] = {key: value for key, value in fields["public"].items() if value}
    front = yaml.dump(fields, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{front}---\n\n{incident.body}\n"


def _stamp(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _timeline_at(at: dt.datetime, previous: dt.datetime | None) -> str:
    """`HH:MM` on the same day as the entry before, as authors write it; else in full."""
    if previous is not None and previous.date() == at.date():
        return f"{at:%H:%M}"
    return at.isoformat()


class _PlainDumper(yaml.SafeDumper):
    """Writes no anchors or aliases: the postmortem reader refuses them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True



# --- The baseline: the same facts, written by hand ---------------------------------------


def baseline_incident_page(incident: Incident, *, browse: bool = True) -> str:
    """A postmortem as a person would write it in a plain mkdocs-material site; `browse`:
    its severity, date, services and tags link to browse pages."""
    here = f"incidents/{incident.id}/index.md"

    def value(text: object, section: str) -> str:
        if not browse:
            return str(text)
        uri = _value_uri(section, str(text) if section != "years" else str(incident.date.year))
        return f"[{text}]({os.path.relpath(uri, os.path.dirname(here))})"

    impact = incident.impact
    lines = [
        f"# Postmortem: {incident.title} ({incident.date})",
        "",
        "| Key facts | |",
        "|---|---|",
        f"| **Severity** | {value(incident.severity, 'severity')} |",
        f"| **Status** | {incident.status} |",
        f"| **Date** | {value(incident.date, 'years')} |",
        "| **Services** | " + ", ".join(value(s, "services") for s in incident.services) + " |",
        f"| **Trigger** | {incident.trigger} |",
        f"| **Commander** | {incident.commander} |",
        f"| **Owner** | {incident.owner} |",
        f"| **Customer impact** | {impact.customer} |",
        f"| **Started** | {impact.started} |",
        f"| **Mitigated** | {impact.mitigated} |",
        "| **Tags** | " + ", ".join(value(t, "tags") for t in incident.tags) + " |",
        "",
        '!!! tip "Key learning"',
        f"    {incident.key_learning}",
        "",
        "## Summary",
        "",
        incident.summary or "",
        "",
        "## Timeline",
        "",
        "| Time | Kind | Event |",
        "|---|---|---|",
        *(f"| {e.at:%Y-%m-%d %H:%M} | {e.kind or ''} | {e.event} |" for e in incident.timeline),
        "",
        *_baseline_list("Contributors", incident.contributors),
        *_baseline_list("Mitigators", incident.mitigators),
        "## Learnings",
        "",
        *(f"- {item}" for items in incident.learnings.values() for item in items),
        "",
        *_baseline_list("What went well", incident.went_well),
        *_baseline_list("What went wrong", incident.went_wrong),
        "## Follow-ups",
        "",
        "| Action | Owner | Due | Status | Ticket | Priority |",
        "|---|---|---|---|---|---|",
        *(f"| {f.action} | {f.owner} | {f.due} | {f.status} | {f.ticket} | {f.priority} |"
          for f in incident.follow_ups),
        "",
        "## Narrative",
        "",
        re.sub(r"^## ", "### ", incident.body, flags=re.MULTILINE),
        "",
    ]
    if incident.public:
        public = incident.public
        lines += ["## Public version", "", f"**{public.title}**", "", public.summary, "",
                  f"**Customer impact:** {public.impact}", "",
                  f"**What we fixed:** {public.remediation}", ""]
    return "\n".join(lines)


def _baseline_list(title: str, items: Iterable[str]) -> list[str]:
    return [f"## {title}", "", *(f"- {item}" for item in items), ""]


def _value_uri(section: str, value: str) -> str:
    return f"{section}/{slugify(value)}/index.md"


def baseline_browse_pages(incidents: list[Incident]) -> dict[str, str]:
    """uri → Markdown of the browse pages: every incident; overviews and per-value lists."""
    pages = {"incidents/index.md": _baseline_table("All incidents", "incidents/index.md",
                                                   incidents)}
    facets: dict[str, Callable[[Incident], Iterable[str]]] = {
        "tags": lambda i: i.tags,
        "services": lambda i: i.services,
        "severity": lambda i: (i.severity,),
        "years": lambda i: (str(i.date.year),),
    }
    for section, values_of in facets.items():
        groups: dict[str, list[Incident]] = defaultdict(list)
        for incident in incidents:
            for value in values_of(incident):
                groups[value].append(incident)
        rows = [f"| [{value}]({slugify(value)}/index.md) | {len(groups[value])} |"
                for value in sorted(groups)]
        pages[f"{section}/index.md"] = "\n".join(
            [f"# {section.capitalize()}", "", "| Value | Incidents |", "|---|---|", *rows, ""]
        )
        for value, members in groups.items():
            uri = _value_uri(section, value)
            pages[uri] = _baseline_table(f"{section.capitalize()}: {value}", uri, members)
    return pages


def _baseline_table(title: str, uri: str, incidents: list[Incident]) -> str:
    here = os.path.dirname(uri)
    rows = [
        f"| {i.date} | {i.severity} | "
        f"[{i.title}]({os.path.relpath(f'incidents/{i.id}/index.md', here)}) | {i.key_learning} |"
        for i in incidents
    ]
    return "\n".join([f"# {title}", "", f"{len(incidents)} incidents.", "",
                      "| Date | Severity | Incident | Key learning |", "|---|---|---|---|",
                      *rows, ""])


# --- Writing and building both sites ------------------------------------------------------


def write_ours(root: Path, incidents: list[Incident]) -> Path:
    """Our knowledge base: postmortem files, one hand-written home page, our plugin."""
    source = root / "postmortems"
    for incident in incidents:
        path = source / str(incident.date.year) / f"{incident.id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(postmortem_file(incident), encoding="utf-8")
    plugin = {
        "source_dir": "postmortems",
        "tags": {tag: f"Incidents about {tag}" for tag in TAGS},
        "public_tags": TAGS[::2],
        "build_date": "2026-01-01",
        "cache_dir": ".cache/pmkb",
    }
    nav = [{"Home": "index.md"}, *BROWSE_NAV, {"Gallery": "gallery/index.md"}]
    return _write_site(root, {"search": {}, "postmortems": plugin}, nav, NOT_IN_NAV, {})


def write_baseline(root: Path, incidents: list[Incident], *, every_page_in_nav: bool) -> Path:
    """The plain mkdocs-material site with the same facts as hand-written pages."""
    pages = {f"incidents/{i.id}/index.md": baseline_incident_page(i) for i in incidents}
    pages.update(baseline_browse_pages(incidents))
    if every_page_in_nav:  # no `nav`: MkDocs puts every page in the sidebar
        return _write_site(root, {"search": {}}, None, None, pages)
    return _write_site(root, {"search": {}}, [{"Home": "index.md"}, *BROWSE_NAV], NOT_IN_NAV,
                       pages)


def write_lean_baseline(root: Path, incidents: list[Incident]) -> Path:
    """The leanest hand-written site: the incident pages alone, tags in their front matter,
    only the search and tags plugins, no browse pages."""
    pages = {
        f"incidents/{i.id}/index.md": f"---\n{yaml.safe_dump({'tags': list(i.tags)})}---\n\n"
        + baseline_incident_page(i, browse=False)
        for i in incidents
    }
    return _write_site(root, {"search": {}, "tags": {}}, [{"Home": "index.md"}],
                       "/incidents/*/", pages)


def _write_site(
    root: Path,
    plugins: dict[str, Any],
    nav: list[Any] | None,
    not_in_nav: str | None,
    pages: dict[str, str],
) -> Path:
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text("# Incident library\n\nEvery postmortem we wrote.\n")
    for uri, markdown in pages.items():
        path = docs / uri
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown, encoding="utf-8")
    config: dict[str, Any] = {
        "site_name": "Benchmark incident library",
        "theme": THEME,
        "markdown_extensions": MARKDOWN_EXTENSIONS,
        "plugins": plugins,
    }
    if nav is not None:
        config["nav"] = nav
    if not_in_nav is not None:
        config["not_in_nav"] = not_in_nav
    config_file = root / "mkdocs.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return config_file


@dataclasses.dataclass(frozen=True)
class Build:
    seconds: float
    peak_rss_mb: float
    output_bytes: int
    search_index_bytes: int


def build_once(config_file: Path) -> Build:
    """One clean `mkdocs build --strict` in a subprocess; its own peak RSS via wait4."""
    root = config_file.parent
    site = root / "site"
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(root / ".cache", ignore_errors=True)
    # Not `-q`: with it, `--strict` lets warnings pass.
    command = [sys.executable, "-m", "mkdocs", "build", "--strict",
               "-f", str(config_file), "-d", str(site)]
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"mkdocs build failed for {config_file}:\n{output.decode()}")
    return Build(
        seconds=seconds,
        peak_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        output_bytes=sum(path.stat().st_size for path in site.rglob("*") if path.is_file()),
        search_index_bytes=sum(path.stat().st_size for path in (site / "search").rglob("*")
                               if path.is_file()),
    )


def search_misses(site: Path, incidents: list[Incident]) -> list[str]:
    """`id: field` for every incident a word of that field cannot find in the search index.

    For the site built by the plugin that is the search box's own index (`search/pmkb/`),
    read as its worker reads it; an incident is found by a word when the word's stem leads to
    the incident's page.
    """
    folder = site / SEARCH_INDEX_FOLDER
    found = indexed_urls({path.name: path.read_text(encoding="utf-8")
                          for path in folder.iterdir()})
    misses = []
    for incident in incidents:
        url = f"incidents/{incident.id}/"
        for name in FINDABLE_FIELDS:
            value = getattr(incident, name)
            text = " ".join(value) if isinstance(value, tuple) else value or ""
            if any(url not in found.get(term, ()) for term in terms(text)):
                misses.append(f"{incident.id}: {name}")
    return misses


# --- Running and reporting ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Figures:
    """Medians of one site at one N (peak RSS: the highest of the runs)."""

    n: int
    seconds: float
    peak_rss_mb: float
    output_bytes: int
    search_index_bytes: int

    @property
    def ms_per_incident(self) -> float:
        return self.seconds * 1000 / self.n

    @property
    def output_mb_per_incident(self) -> float:
        return self.output_bytes / 1e6 / self.n

    @property
    def search_kb_per_incident(self) -> float:
        return self.search_index_bytes / 1000 / self.n


def measure(config_files: Sequence[Path], n: int, repeat: int) -> list[Figures]:
    """The figures of each site, built `repeat` times in rounds: each site once per round."""
    rounds = [[build_once(config_file) for config_file in config_files] for _ in range(repeat)]
    return [figures(n, [builds[index] for builds in rounds])
            for index in range(len(config_files))]


def figures(n: int, builds: list[Build]) -> Figures:
    return Figures(
        n=n,
        seconds=statistics.median(build.seconds for build in builds),
        peak_rss_mb=max(build.peak_rss_mb for build in builds),
        output_bytes=builds[-1].output_bytes,
        search_index_bytes=builds[-1].search_index_bytes,
    )


HEADER = (f"{'site':<26} {'N':>6} {'build s':>8} {'ms/inc':>7} {'ratio':>6} {'MB/inc':>7} "
          f"{'search KB/inc':>13} {'peak RSS MB':>11}")


def format_row(name: str, figures: Figures, ratio: float | None) -> str:
    ratio_text = "" if ratio is None else f"{ratio:.2f}"
    return (f"{name:<26} {figures.n:>6} {figures.seconds:>8.2f} {figures.ms_per_incident:>7.2f} "
            f"{ratio_text:>6} {figures.output_mb_per_incident:>7.3f} "
            f"{figures.search_kb_per_incident:>13.2f} {figures.peak_rss_mb:>11.0f}")


def warm_rebuilds(config_file: Path, repeat: int) -> tuple[float, float]:
    """Median seconds of a whole `pmkb build --strict` with the caches the last build left:
    with nothing changed, and with one postmortem's text edited before each run."""
    root = config_file.parent
    command = [*pmkb_command(), "-f", str(config_file), "build", "--strict"]

    def timed() -> float:
        began = time.perf_counter()
        done = subprocess.run(command, cwd=root, capture_output=True, text=True)
        seconds = time.perf_counter() - began
        if done.returncode:
            raise SystemExit(f"pmkb build failed for {config_file}:\n{done.stderr}")
        return seconds

    timed()  # from the caches the clean builds left, to the ones `pmkb build` keeps
    unchanged = statistics.median(timed() for _ in range(repeat))
    edited = sorted((root / "postmortems").rglob("*.md"))[0]
    original = edited.read_text(encoding="utf-8")
    seconds = []
    for run in range(repeat):
        edited.write_text(f"{original}\nEdited before warm run {run}.\n", encoding="utf-8")
        seconds.append(timed())
    edited.write_text(original, encoding="utf-8")
    return unchanged, statistics.median(seconds)


def run(counts: Sequence[int], repeat: int, seed: int, workdir: Path) -> list[str]:
    """Build the three sites at every N, print the table as it grows; return missed targets."""
    print(f"build benchmark: median of {repeat} rounds of clean `mkdocs build --strict` runs "
          "(ours, baseline, leanest in turn); ratio: to the leanest baseline")
    print(HEADER, flush=True)
    ours_by_n: dict[int, Figures] = {}
    missed = []
    for n in counts:
        incidents = synthetic_library(n, seed)
        ours_config = write_ours(workdir / f"ours-{n}", incidents)
        base_config = write_baseline(workdir / f"baseline-{n}", incidents,
                                     every_page_in_nav=False)
        lean_config = write_lean_baseline(workdir / f"lean-{n}", incidents)
        ours, base, lean = measure([ours_config, base_config, lean_config], n, repeat)
        ratio, lean_ratio = ours.seconds / base.seconds, ours.seconds / lean.seconds
        ours_by_n[n] = ours
        print(format_row("ours", ours, lean_ratio))
        print(format_row("baseline (same nav policy)", base, base.seconds / lean.seconds))
        print(format_row("leanest baseline", lean, None), flush=True)
        if n <= FULL_NAV_MAX_N:
            full_config = write_baseline(workdir / f"baseline-full-nav-{n}", incidents,
                                         every_page_in_nav=True)
            (full,) = measure([full_config], n, 1)
            print(format_row("baseline, every page in nav", full, full.seconds / base.seconds)
                  + "  (1 run; ratio to baseline)", flush=True)
        warm, edited = warm_rebuilds(ours_config, repeat)
        for name, seconds in (("ours, again: no change", warm), ("ours, again: 1 edited", edited)):
            print(f"{name:<26} {n:>6} {seconds:>8.2f} {seconds * 1000 / n:>7.2f} "
                  f"{seconds / lean.seconds:>6.2f}   (`pmkb build`, cache present)", flush=True)
            if n == 2000 and seconds / lean.seconds > TARGET_WARM_RATIO:
                missed.append(f"{name} at N=2000: {seconds / lean.seconds:.2f} of the leanest "
                              f"baseline > {TARGET_WARM_RATIO}")
        print(f"  ours / baseline (same nav policy): {ratio:.2f}", flush=True)
        misses = search_misses(ours_config.parent / "site", incidents)
        if misses:
            missed.append(f"N={n}: {len(misses)} incident fields not findable in the client "
                          f"search index, e.g. {misses[:3]}")
        if n == 2000 and ratio > TARGET_RATIO:
            missed.append(f"ratio at N=2000 is {ratio:.2f} > {TARGET_RATIO}")
        if n in (1000, 2000) and lean_ratio > TARGET_LEAN_RATIO:
            missed.append(f"cold build at N={n} is {lean_ratio:.2f} of the leanest baseline > "
                          f"{TARGET_LEAN_RATIO}")
        if ours.search_kb_per_incident > TARGET_SEARCH_KB:
            missed.append(f"search index at N={n} is {ours.search_kb_per_incident:.2f} KB per "
                          f"incident > {TARGET_SEARCH_KB}")
        if n == 10000 and ours.peak_rss_mb > TARGET_RSS_MB:
            missed.append(f"peak RSS at N=10000 is {ours.peak_rss_mb:.0f} MB > {TARGET_RSS_MB}")
    print()
    print(f"targets: cold ≤ {TARGET_LEAN_RATIO} of the leanest baseline at 1,000 and 2,000; "
          f"again with the cache ≤ {TARGET_WARM_RATIO} at 2,000; ≤ {TARGET_RATIO} of the "
          f"baseline at 2,000; peak RSS ≤ {TARGET_RSS_MB} MB and time(10,000) / time(2,000) "
          f"≤ {TARGET_SCALING}")
    print("search: every incident findable by every word of its "
          + ", ".join(FINDABLE_FIELDS) if not any("findable" in m for m in missed)
          else "search: some incidents are NOT findable (see below)")
    if 2000 in ours_by_n and 10000 in ours_by_n:
        scaling = ours_by_n[10000].seconds / ours_by_n[2000].seconds
        print(f"scaling: time(10,000) / time(2,000) = {scaling:.2f} (target ≤ {TARGET_SCALING})")
        if scaling > TARGET_SCALING:
            missed.append(f"scaling is {scaling:.2f} > {TARGET_SCALING}")
    return missed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark site builds against mkdocs-material.")
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 2000],
                        help="library sizes to build (1000 2000; add 10000 for scaling)")
    parser.add_argument("--repeat", type=int, default=3, help="builds to take medians over (3)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the library (7)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep the sites")
    options = parser.parse_args(argv)
    if min(options.n) < 2 or options.repeat < 1:
        parser.error("--n must be at least 2 and --repeat at least 1")
    if options.keep:
        options.keep.mkdir(parents=True, exist_ok=True)
        missed = run(options.n, options.repeat, options.seed, options.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="pmkb-bench-") as scratch:
            missed = run(options.n, options.repeat, options.seed, Path(scratch))
    for line in missed:
        print(f"MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
