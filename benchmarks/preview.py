"""Benchmark the live preview: from saving a postmortem to the served page showing the change.

Writes a knowledge base of N synthetic incidents (`build.py`'s generator), times one full
build of it (a clean `mkdocs build --strict` without caches, as `build.py` measures), then
starts `pmkb serve` on it and, once the first build is served, makes each kind of edit an
author makes, `--repeat` times:

- **text**: a new sentence in one postmortem's narrative, until its page shows it;
- **tags**: a tag added to a postmortem, until that tag's index page lists the incident;
- **add**: a new postmortem file, until its page is served;
- **delete**: that file removed again, until its page answers 404.

Each time is measured from the moment the file is written and closed until the page, polled
over HTTP every `--poll` seconds, shows the change: the server's file watcher, the rebuild and
serving the page are all in it. Each edit is made once the preview is idle (no rebuild for
`--settle` seconds), as an author saves after reading the last change: a rebuild that shows an
edit may defer what changes across the library (related incidents, feeds, the longest lists,
other incidents' pages that show them) to one more rebuild right after it. The table gives per
kind the median (and the slowest) and the median's ratio to the full build, beside the
targets: ≤ 2 s at 2,000 incidents, aim ≤ 0.15 of it; and the CPU time the server process
used meanwhile (median; Linux), which a machine shared with other work changes far less than
the time itself. Afterwards it checks the site as served is still right: the incident list
without the deleted incident, the tag pages with the added tags. Exits with status 1 when a
target is missed.

    python benchmarks/preview.py [--n 2000] [--repeat 5] [--settle 4] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

from build import TAGS, build_once, synthetic_library, write_ours  # noqa: E402
from search import pmkb_command  # noqa: E402

#: Targets from the issue.
TARGET_SECONDS = 2.0  # median save → visible, at N = 2,000
TARGET_RATIO = 0.15  # median save → visible / full build
#: How long one change may take to show before the benchmark gives up on it.
GIVE_UP_SECONDS = 300.0


@dataclass
class Timing:
    kind: str
    seconds: list[float]
    #: CPU seconds the server used from the save until the page showed it (None: unknown).
    cpu: list[float | None]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float | None:
        known = [seconds for seconds in self.cpu if seconds is not None]
        return statistics.median(known) if known and len(known) == len(self.cpu) else None


def cpu_seconds(pid: int) -> float | None:
    """The CPU time process `pid` used so far (user and system; Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """The `pmkb serve` process: its base URL and the CPU it used."""

    def __init__(self, base: str, pid: int) -> None:
        self.base = base
        self.pid = pid

    def cpu(self) -> float | None:
        return cpu_seconds(self.pid)


def cpu_between(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def fetch(url: str) -> tuple[int, str]:
    """Status and text of `url`; (0, "") while nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=GIVE_UP_SECONDS) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


#: Whether a page (its status and text) shows what is waited for.
Shows = Callable[[int, str], bool]


def seconds_until(url: str, shows: Shows, poll: float, since: float) -> float:
    """Seconds from `since` until `url` shows what `shows` looks for."""
    while True:
        status, text = fetch(url)
        now = time.perf_counter()
        if shows(status, text):
            return now - since
        if now - since > GIVE_UP_SECONDS:
            raise SystemExit(f"{url} did not show the change within {GIVE_UP_SECONDS:.0f} s")
        time.sleep(poll)


def showing(text: str) -> Shows:
    """Whether a served page has `text` in it."""
    return lambda status, page: status == 200 and text in page


def write(path: Path, text: str) -> float:
    """Save `text` to `path` as an editor does; the time it was saved."""
    path.write_text(text, encoding="utf-8")
    return time.perf_counter()


@contextmanager
def serving(root: Path, poll: float) -> Iterator[Server]:
    """`pmkb serve` on `root`; yields it once the first build is served."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    server = subprocess.Popen(
        [*pmkb_command(), "serve", "--dev-addr", address],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://{address}/"
        began = time.perf_counter()
        first = seconds_until(
            base, lambda status, _: status == 200 or server.poll() is not None, poll, began
        )
        if server.poll() is not None:
            raise SystemExit(f"pmkb serve exited with status {server.returncode}")
        print(f"pmkb serve: first build served after {first:.1f} s", flush=True)
        yield Server(base, server.pid)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def settle(base: str, quiet: float) -> None:
    """Wait until the preview has not been rebuilt for `quiet` seconds (its live-reload
    endpoint names the last build; a page request waits for a build in progress)."""
    last = None
    while True:
        fetch(base)
        _, epoch = fetch(f"{base}livereload/0/0")
        if epoch == last:
            return
        last = epoch
        time.sleep(quiet)


def measure(root: Path, server: Server, repeat: int, poll: float, quiet: float) -> list[Timing]:
    """Every kind of edit `repeat` times against the preview `server`; each edit changes the
    file as the last one left it, and the last restores it."""
    base = server.base
    target = edited_file(root)
    incident_id = target.stem
    page = f"{base}incidents/{incident_id}/"
    original = current = target.read_text(encoding="utf-8")
    added_tags = new_tags(original)
    timings = {kind: Timing(kind, [], []) for kind in ("text", "tags", "add", "delete")}

    def timed(kind: str, save: Callable[[], float], url: str, shows: Shows) -> None:
        """Once the preview is idle, `save` (which returns when it saved), then wait."""
        settle(base, quiet)
        before = server.cpu()
        timings[kind].seconds.append(seconds_until(url, shows, poll, save()))
        timings[kind].cpu.append(cpu_between(before, server.cpu()))

    for run in range(repeat):
        marker = f"Edited in preview run {run} of the benchmark."
        current = original_with(original, current, marker)
        timed("text", partial(write, target, current), page, showing(marker))

        tag = added_tags[run % len(added_tags)]
        current = current.replace("tags:\n", f"tags:\n- {tag}\n", 1)
        timed(
            "tags",
            partial(write, target, current),
            f"{base}tags/{tag}/",
            showing(f"incidents/{incident_id}/"),
        )

        new_id = f"2030-01-0{run % 9 + 1}-preview-benchmark-{run}"
        new_file = root / "postmortems" / f"{new_id}.md"
        title = f"Preview benchmark incident {run}"
        text = new_postmortem(original, incident_id, new_id, title)
        timed("add", partial(write, new_file, text), f"{base}incidents/{new_id}/", showing(title))
        timed("delete", partial(delete, new_file), f"{base}incidents/{new_id}/", not_found)
    restored = write(target, original)
    seconds_until(page, lambda _, text: "Edited in preview run" not in text, poll, restored)
    settle(base, quiet)
    return list(timings.values())


def delete(path: Path) -> float:
    """Delete `path` as an author does; the time it was deleted."""
    path.unlink()
    return time.perf_counter()


def not_found(status: int, text: str) -> bool:
    return status == 404


def new_tags(text: str) -> list[str]:
    """Tags of the vocabulary the postmortem does not have (the `tags` edit adds them)."""
    block = text.partition("\ntags:\n")[2]
    present = set()
    for line in block.splitlines():
        if not line.startswith("- "):
            break
        present.add(line[2:].strip())
    return [tag for tag in TAGS if tag not in present]


def edited_file(root: Path) -> Path:
    """The postmortem the benchmark edits: one in the middle of the library."""
    files = sorted((root / "postmortems").rglob("*.md"))
    return files[len(files) // 2]


def original_with(original: str, current: str, marker: str) -> str:
    """`current` with `marker` as the first sentence of its narrative (instead of the last
    run's)."""
    heading = "## What happened\n"
    before, _, after = current.partition(heading)
    if original.partition(heading)[2] != after:  # a marker from the last run: replace it
        after = after.split("\n", 2)[2]
    return f"{before}{heading}\n{marker}\n{after}"


def new_postmortem(model: str, model_id: str, new_id: str, title: str) -> str:
    """A new postmortem made from another one: its own id, title and date."""
    lines = []
    for line in model.splitlines():
        if line.startswith("id: "):
            line = f"id: {new_id}"
        elif line.startswith("title: "):
            line = f"title: {title}"
        lines.append(line)
    return "\n".join(lines).replace(model_id, new_id) + "\n"


def site_still_right(base: str, root: Path) -> list[str]:
    """What is wrong with the served site after the edits (nothing, when it is right)."""
    wrong = []
    status, listing = fetch(f"{base}incidents/")
    if status != 200 or "preview-benchmark" in listing:
        wrong.append("the incident list still shows a deleted incident")
    edited = edited_file(root)
    incident_id = edited.stem
    for tag in new_tags(edited.read_text(encoding="utf-8")):
        status, text = fetch(f"{base}tags/{tag}/")
        if status == 200 and f"incidents/{incident_id}/" in text:
            wrong.append(f"tags/{tag}/ still lists {incident_id}, whose tags were restored")
    return wrong


def report(n: int, full_build: float, timings: Sequence[Timing]) -> list[str]:
    print()
    print(
        f"live preview at N={n}: save → served page shows the change "
        f"(full build: {full_build:.1f} s)"
    )
    print(f"{'edit':<8} {'median s':>9} {'slowest s':>10} {'ratio':>6} {'cpu s':>6}   target")
    missed = []
    for timing in timings:
        ratio = timing.median / full_build
        cpu = "" if timing.cpu_median is None else f"{timing.cpu_median:.2f}"
        print(
            f"{timing.kind:<8} {timing.median:>9.2f} {max(timing.seconds):>10.2f} "
            f"{ratio:>6.3f} {cpu:>6}   ≤ {TARGET_SECONDS:.0f} s at 2,000, ratio ≤ {TARGET_RATIO}"
        )
        if n == 2000 and timing.median > TARGET_SECONDS:
            missed.append(f"{timing.kind}: median {timing.median:.2f} s > {TARGET_SECONDS} s")
        if ratio > TARGET_RATIO:
            missed.append(f"{timing.kind}: ratio {ratio:.3f} > {TARGET_RATIO}")
    return missed


def run(n: int, repeat: int, seed: int, poll: float, quiet: float, workdir: Path) -> list[str]:
    root = workdir / f"preview-{n}"
    if not (root / "mkdocs.yml").exists():
        write_ours(root, synthetic_library(n, seed))
    full_build = build_once(root / "mkdocs.yml").seconds
    print(f"full build of N={n}: {full_build:.1f} s", flush=True)
    with serving(root, poll) as server:
        timings = measure(root, server, repeat, poll, quiet)
        wrong = site_still_right(server.base, root)
    missed = report(n, full_build, timings)
    return missed + [f"site after the edits: {line}" for line in wrong]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the live preview of `pmkb serve`.")
    parser.add_argument("--n", type=int, default=2000, help="incidents (2000)")
    parser.add_argument("--repeat", type=int, default=5, help="edits of each kind (5)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the library (7)")
    parser.add_argument("--poll", type=float, default=0.02, help="seconds between polls (0.02)")
    parser.add_argument(
        "--settle",
        type=float,
        default=4.0,
        help="seconds without a rebuild before the next edit (4)",
    )
    parser.add_argument("--keep", type=Path, help="work in this folder and keep the site")
    options = parser.parse_args(argv)
    if options.n < 2 or options.repeat < 1:
        parser.error("--n must be at least 2 and --repeat at least 1")
    if options.keep:
        options.keep.mkdir(parents=True, exist_ok=True)
        missed = run(
            options.n, options.repeat, options.seed, options.poll, options.settle, options.keep
        )
    else:
        with tempfile.TemporaryDirectory(prefix="pmkb-preview-") as scratch:
            missed = run(
                options.n, options.repeat, options.seed, options.poll, options.settle, Path(scratch)
            )
    for line in missed:
        print(f"MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
