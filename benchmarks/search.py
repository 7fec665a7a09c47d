"""Benchmark search and related incidents on a synthetic library (default 5,000 incidents).

Measures, each as the median of `--repeat` runs: turning incidents into search documents,
a full index build, an incremental update after one edited incident, query latency (p50 and
p95 over 20 queries, in process, after one warm-up pass) and related incidents for the whole
library. Prints a table with each figure's ratio to its target (ratio ≤ 1 meets it) and
exits with status 1 when a target is missed.

    python benchmarks/search.py [--n 5000] [--repeat 3] [--seed 7]

With `--process`, it measures `pmkb search` as a user runs it instead: a whole process, from
start to exit, on knowledge bases of postmortem files (`--sizes`, default 500 and 5,000,
written as `benchmarks/build.py` writes them) whose index is warm (built by a first search,
nothing changed since). Each figure is the median of `--runs` runs over the queries below,
printed beside its target, with the ratio of the largest size to the smallest (the search
must not grow with the library), taken run by run: the sizes are searched in turn, so a
machine getting busier weighs on all of them. Wall time is the target; CPU time is printed
beside it, and so is Python starting and doing nothing (`python -c pass`), the floor under
any command. It checks that no run updated the index (a run that did was not warm: the
figures would not mean what they say).

The searches run with compiled bytecode, as an installed `pmkb` does (pip compiles it; a
checkout writes `__pycache__` on first use): they keep it in a folder of their own
(`PYTHONPYCACHEPREFIX`), written by the warm-up searches, even where the environment asks
Python not to write any (`PYTHONDONTWRITEBYTECODE`), which would make every search compile
the package's modules again (about 30 ms a search on the 2-core machine it was written on).

    python benchmarks/search.py --process [--sizes 500 5000] [--runs 15] [--keep DIR]

The incidents are generated in memory from themed word pools (certificates, DNS, database
failover, …) mixed with everyday incident vocabulary, so terms repeat across incidents the
way they do in a real library. The index goes to a temporary directory.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# Runs from a checkout without an installed package, as `python benchmarks/search.py`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))

from postmortem_kb.core.model import Factor, Incident, TimelineEntry
from postmortem_kb.search import manifest
from postmortem_kb.search.documents import search_documents
from postmortem_kb.search.index import SearchIndex, SearchRequest
from postmortem_kb.search.related import compute_related

#: Targets from the issue, in seconds.
TARGET_INCREMENTAL = 1.0
TARGET_QUERY_P50 = 0.050
TARGET_RELATED = 30.0
#: `pmkb search` as a whole process with a warm index, and how much it may grow from the
#: smallest library to the largest.
TARGET_PROCESS = 0.25
TARGET_PROCESS_GROWTH = 1.2

#: Theme → (nouns, what went wrong with them, tags), "|"-separated.
THEMES: dict[str, tuple[str, str, str]] = {
    "certificates": (
        "certificate|TLS handshake|intermediate chain|wildcard cert|CA bundle|renewal job"
        "|ACME client|keystore|expiry date|OCSP responder",
        "expired|was not renewed|was rotated|failed validation|was revoked",
        "certificates|security|monitoring",
    ),
    "dns": (
        "DNS resolver|zone file|TTL|CNAME record|nameserver|resolv.conf|DNS cache"
        "|NXDOMAIN responses|split-horizon zone|record update",
        "stopped resolving|returned stale answers|was misconfigured|timed out|propagated slowly",
        "dns|networking|configuration",
    ),
    "database": (
        "primary database|replica|failover|replication lag|connection pool|vacuum|slow query"
        "|index rebuild|write-ahead log|deadlock",
        "stalled|fell behind|exhausted connections|locked the table|filled the disk",
        "database|capacity|data",
    ),
    "deploy": (
        "deployment|canary|rollout|feature flag|config push|release train|build artifact"
        "|migration script|rollback|blue-green switch",
        "shipped a regression|was rolled back|skipped the canary|enabled the flag globally"
        "|broke backwards compatibility",
        "deployment|configuration|change-management",
    ),
    "capacity": (
        "autoscaler|CPU saturation|memory pressure|queue backlog|thread pool|rate limiter"
        "|traffic spike|load shedding|quota|worker fleet",
        "saturated|did not scale out|ran out of memory|throttled clients|fell over under load",
        "capacity|performance|scaling",
    ),
    "network": (
        "load balancer|network partition|BGP session|packet loss|firewall rule|VPC peering"
        "|MTU mismatch|CDN edge|service mesh|TCP retransmits",
        "dropped packets|flapped|blackholed traffic|was misrouted|reset connections",
        "networking|infrastructure|third-party",
    ),
    "storage": (
        "disk|object store|backup|snapshot|filesystem|inode table|log volume|retention policy"
        "|restore job|bucket policy",
        "filled up|was corrupted|could not be restored|was deleted|hit its limit",
        "storage|data|backups",
    ),
    "auth": (
        "login service|OAuth token|session store|SSO provider|API key|permission change|IAM role"
        "|password reset|MFA prompt|token cache",
        "rejected valid users|expired early|leaked into logs|was over-scoped|locked out admins",
        "security|authentication|access",
    ),
    "time": (
        "clock skew|leap second|NTP server|cron schedule|timezone database"
        "|daylight saving change|timestamp parsing|scheduler|leap day|epoch rollover",
        "drifted|fired twice|skipped a run|miscomputed dates|crashed at midnight",
        "time|scheduling|bugs",
    ),
    "monitoring": (
        "alert|dashboard|pager|log pipeline|metrics scrape|SLO burn rate|health check"
        "|synthetic probe|on-call rotation|runbook",
        "did not fire|paged the wrong team|was silenced|lagged by an hour|reported healthy",
        "monitoring|observability|communications",
    ),
}
SERVICES = [
    "api-gateway", "auth", "billing", "payments", "search", "checkout", "inventory",
    "notifications", "email", "cdn", "web", "mobile-api", "reporting", "ledger", "catalog",
    "shipping", "accounts", "analytics", "ingest", "scheduler", "storage", "kafka", "postgres",
    "redis", "elasticsearch", "identity", "gateway-edge", "admin", "partner-api", "warehouse",
]  # fmt: skip
TRIGGERS = ["configuration", "deployment", "capacity", "third-party", "migration", "hardware"]
SEVERITIES = ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
GENERIC = [
    "customers saw errors", "latency rose", "the on-call engineer was paged", "we rolled back",
    "error rates recovered", "support tickets spiked", "the status page was updated",
    "the incident commander opened a bridge", "engineers checked the dashboards",
    "a mitigation was applied", "traffic was drained from the region", "retries amplified load",
    "the runbook was out of date", "a manual workaround restored service",
    "requests queued behind the slow dependency", "the team paused further changes",
]  # fmt: skip
LESSONS = [
    "alert on {noun} before it becomes an outage",
    "automate the {noun} so nobody has to remember it",
    "test the {noun} in staging with production-like data",
    "document who owns the {noun}",
    "add a canary check for the {noun}",
    "make the {noun} fail safe instead of failing closed",
]

QUERIES = [
    "certificate expired",
    "have we had certificate problems before?",
    "dns resolution failures",
    "tag:dns stale answers",
    "database failover replication lag",
    "service:payments latency",
    "severity:sev1 outage",
    "rollback after bad deployment",
    "feature flag enabled globally",
    "autoscaler did not scale",
    "load balancer packet loss",
    "backup could not be restored",
    "OAuth token expired early",
    "leap second clock skew",
    "alert did not fire",
    "disk filled up",
    "tag:capacity queue backlog",
    "connection pool exhausted",
    "runbook out of date",
    "third-party provider outage",
]


def generate_incidents(count: int, seed: int) -> list[Incident]:
    """`count` synthetic incidents with themed, overlapping vocabulary."""
    rng = random.Random(seed)
    start = dt.date(2015, 1, 1)
    dates = [start + dt.timedelta(days=rng.randrange(3650)) for _ in range(count)]
    return [_incident(rng, number, date) for number, date in enumerate(dates)]


def _incident(rng: random.Random, number: int, date: dt.date) -> Incident:
    theme_name = rng.choice(list(THEMES))
    nouns, failures, tags = (part.split("|") for part in THEMES[theme_name])
    # Incidents rarely have a single cause: some sentences come from another theme.
    other_nouns, other_failures, _ = (part.split("|") for part in rng.choice(list(THEMES.values())))

    def sentence() -> str:
        own = rng.random() < 0.7
        noun = rng.choice(nouns if own else other_nouns)
        failure = rng.choice(failures if own else other_failures)
        return f"The {noun} {failure} and {rng.choice(GENERIC)}."

    noun = rng.choice(nouns)
    began = dt.datetime.combine(date, dt.time(rng.randrange(24)), dt.timezone.utc)
    timeline = tuple(
        TimelineEntry(at=began + dt.timedelta(minutes=7 * step), event=sentence())
        for step in range(rng.randint(6, 14))
    )
    learnings = tuple(
        rng.choice(LESSONS).format(noun=rng.choice(nouns)) for _ in range(rng.randint(2, 4))
    )
    paragraphs = (
        " ".join(sentence() for _ in range(rng.randint(3, 6))) for _ in range(rng.randint(3, 6))
    )
    return Incident(
        id=f"{date.isoformat()}-{theme_name}-{number}",
        source=f"postmortems/{date.year}/{number}.md",
        title=f"{noun.capitalize()} {rng.choice(failures)} in {rng.choice(SERVICES)}",
        date=date,
        severity=rng.choice(SEVERITIES),
        status=rng.choice(["draft", "review", "published", "published"]),
        services=tuple(rng.sample(SERVICES, rng.randint(1, 3))),
        tags=tuple(rng.sample(tags, 2)),
        trigger=rng.choice(TRIGGERS),
        key_learning=rng.choice(LESSONS).format(noun=noun).capitalize() + ".",
        summary=" ".join(sentence() for _ in range(rng.randint(2, 4))),
        timeline=timeline,
        contributors=tuple(sentence() for _ in range(rng.randint(2, 4))),
        learnings={"technical": learnings},
        body="\n\n".join(paragraphs),
    )


def _timed(action: Callable[..., object], *arguments: object) -> float:
    began = time.perf_counter()
    action(*arguments)
    return time.perf_counter() - began


def with_factors(incident: Incident) -> Incident:
    """The incident as the model holds it: contributors are `Factor`s. The generator keeps
    them as the plain strings an author writes, which `build.py` writes into files."""
    factors = tuple(Factor(str(text)) for text in incident.contributors)
    return dataclasses.replace(incident, contributors=factors)


def run(count: int, repeat: int, seed: int) -> list[tuple[str, float, float | None]]:
    """(what, median seconds, target seconds or None) for every measurement."""
    incidents = [with_factors(incident) for incident in generate_incidents(count, seed)]
    manual = {incident.id: incident.related for incident in incidents}
    figures: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        figures.setdefault(name, []).append(seconds)

    for run_number in range(repeat):
        began = time.perf_counter()
        documents = search_documents(incidents)
        record("search documents", time.perf_counter() - began)

        edited = list(incidents)
        changed = edited[run_number % count]
        edited[run_number % count] = dataclasses.replace(
            changed, summary=f"{changed.summary} Edited after review."
        )
        edited_documents = search_documents(edited)

        with tempfile.TemporaryDirectory() as scratch, SearchIndex(Path(scratch)) as index:
            record("full index", _timed(index.update, documents))
            began = time.perf_counter()
            stats = index.update(edited_documents)
            record("incremental update (1 edit)", time.perf_counter() - began)
            if (stats.updated, stats.rebuilt) != (1, False):
                raise SystemExit(f"incremental update did not update one incident: {stats}")
            record("no-change update", _timed(index.update, edited_documents))

            requests = [SearchRequest(query) for query in QUERIES]
            for request in requests:  # warm-up: the first queries open files and fill caches
                index.search(request)
            latencies = [_timed(index.search, request) for request in requests]
            record("query p50", statistics.median(latencies))
            record("query p95", statistics.quantiles(latencies, n=20, method="inclusive")[-1])

        record("related (whole library)", _timed(compute_related, documents, manual))

    targets = {
        "incremental update (1 edit)": TARGET_INCREMENTAL,
        "query p50": TARGET_QUERY_P50,
        "related (whole library)": TARGET_RELATED,
    }
    return [(name, statistics.median(times), targets.get(name)) for name, times in figures.items()]


def format_table(count: int, rows: Sequence[tuple[str, float, float | None]]) -> str:
    lines = [
        f"search benchmark: {count:,} synthetic incidents (medians)",
        f"{'measurement':<30} {'median':>10} {'target':>10} {'ratio':>7}",
    ]
    for name, seconds, target in rows:
        target_text = "" if target is None else _duration(target)
        ratio = "" if target is None else f"{seconds / target:.2f}"
        lines.append(f"{name:<30} {_duration(seconds):>10} {target_text:>10} {ratio:>7}")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


# --- `pmkb search` as a whole process ------------------------------------------------------


def pmkb_command() -> list[str]:
    """The `pmkb` console script beside this Python, else the package run as a module."""
    script = Path(sys.executable).with_name("pmkb")
    return [str(script)] if script.exists() else [sys.executable, "-m", "postmortem_kb.cli"]


def with_bytecode(bytecode: Path) -> dict[str, str]:
    """The environment of a process that keeps compiled bytecode in `bytecode` (see above)."""
    environment = {name: value for name, value in os.environ.items()
                   if name != "PYTHONDONTWRITEBYTECODE"}
    return {**environment, "PYTHONPYCACHEPREFIX": str(bytecode)}


def warm_knowledge_base(root: Path, count: int, seed: int, environment: dict[str, str]) -> Path:
    """A knowledge base of `count` postmortem files at `root`, its index built by a search."""
    from build import synthetic_library, write_ours  # its generator is built on this module's

    if not (root / "mkdocs.yml").exists():
        write_ours(root, synthetic_library(count, seed))
    # The second search records the files the first one found freshly written (it cannot
    # yet tell a second save within the clock's resolution from none: see manifest.py).
    for _ in range(2):
        time.sleep(manifest.RACY_NS / 1e9)
        subprocess.run([*pmkb_command(), "search", "warm up"], cwd=root, check=True,
                       stdout=subprocess.DEVNULL, env=environment)
    return root


def time_process(command: Sequence[str], root: Path, environment: dict[str, str]
                 ) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the operating system's accounting of the finished
    process) of one whole process.

    The target is wall time; CPU time is printed beside it because on a busy machine a
    process waits for a core, which wall time counts and CPU time does not."""
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, env=environment)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{root}: {' '.join(command)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def _index_writes(root: Path) -> list[int]:
    index = root / ".cache" / "pmkb" / "internal"
    return [(index / name).stat().st_mtime_ns for name in ("index.json", "sources.json")]


def run_process(sizes: Sequence[int], runs: int, seed: int, keep: Path | None) -> int:
    """Searches on every size in turn, run after run, so that a machine getting busier or
    quieter weighs on all sizes alike; the growth is the median of the runs' ratios."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = keep or Path(scratch)
        environment = with_bytecode(folder / "bytecode")
        roots = {count: warm_knowledge_base(folder / f"kb-{count}", count, seed, environment)
                 for count in sorted(sizes)}
        before = {count: _index_writes(root) for count, root in roots.items()}
        times: dict[int, list[tuple[float, float]]] = {count: [] for count in roots}
        floor: list[tuple[float, float]] = []
        for run in range(runs):
            query = QUERIES[run % len(QUERIES)]
            for count, root in roots.items():
                command = [*pmkb_command(), "search", query]
                times[count].append(time_process(command, root, environment))
            floor.append(time_process([sys.executable, "-c", "pass"], folder, environment))
        for count, root in roots.items():
            if _index_writes(root) != before[count]:
                raise SystemExit(f"{root}: a search updated the index; nothing may change "
                                 "the files or the code while the benchmark runs")
    smallest, largest = min(roots), max(roots)
    print(f"pmkb search, whole process, warm index (median of {runs} runs)")
    print(f"{'incidents':>12} {'wall':>10} {'target':>10} {'ratio':>7} {'cpu':>10}")
    walls = {}
    for count, measured in times.items():
        walls[count] = statistics.median(wall for wall, _ in measured)
        cpu = statistics.median(cpu for _, cpu in measured)
        print(f"{count:>12,} {_duration(walls[count]):>10} {_duration(TARGET_PROCESS):>10} "
              f"{walls[count] / TARGET_PROCESS:>7.2f} {_duration(cpu):>10}")
    growth = statistics.median(
        large[0] / small[0] for small, large in zip(times[smallest], times[largest], strict=True))
    cpu_growth = statistics.median(
        large[1] / small[1] for small, large in zip(times[smallest], times[largest], strict=True))
    print(f"{f'{largest:,} / {smallest:,}':>12} {growth:>9.2f}x {TARGET_PROCESS_GROWTH:>9.2f}x "
          f"{growth / TARGET_PROCESS_GROWTH:>7.2f} {cpu_growth:>9.2f}x")
    floor_wall = statistics.median(wall for wall, _ in floor)
    floor_cpu = statistics.median(cpu for _, cpu in floor)
    print(f"{'python alone':>12} {_duration(floor_wall):>10} {'':>10} {'':>7} "
          f"{_duration(floor_cpu):>10}")
    missed = [wall for wall in walls.values() if wall > TARGET_PROCESS]
    return 1 if missed or growth > TARGET_PROCESS_GROWTH else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark search and related incidents.")
    parser.add_argument("--n", type=int, default=5000, help="incidents to generate (5000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs to take medians over (3)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the library (7)")
    parser.add_argument("--process", action="store_true",
                        help="time `pmkb search` as a whole process on knowledge bases instead")
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000],
                        help="--process: incidents per knowledge base (500 5000)")
    parser.add_argument("--runs", type=int, default=15, help="--process: searches timed (15)")
    parser.add_argument("--keep", type=Path,
                        help="--process: write the knowledge bases here and reuse them")
    options = parser.parse_args(argv)
    if options.process:
        if len(options.sizes) < 2 or min(options.sizes) < 1 or options.runs < 1:
            parser.error("--sizes needs two sizes or more, and --runs at least 1")
        return run_process(options.sizes, options.runs, options.seed, options.keep)
    if options.n < 2 or options.repeat < 1:
        parser.error("--n must be at least 2 and --repeat at least 1")
    rows = run(options.n, options.repeat, options.seed)
    print(format_table(options.n, rows))
    missed = [name for name, seconds, target in rows if target is not None and seconds > target]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
