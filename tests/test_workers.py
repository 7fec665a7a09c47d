"""Per-file work on every core (`site/workers.py`): the same plan as one made in one process.

A cold build reads, validates, checks and projects each file in worker processes, and the
plan cache hands what they computed to the plan; the planned pages are rendered by workers
too. The plan is made in a fresh interpreter (a process with a single thread, as `mkdocs
build` is), once on every core and once in that process alone, and compared whole: every
page, problem and finding, search document and data file, with a broken file and blaming
sentences among the files.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from postmortem_kb.site import workers
from site_builder import REPO_ROOT, build_site, write_small_kb
from test_indexes import load_benchmark

PLAN_TWICE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from postmortem_kb.cli.main import load_settings
    from postmortem_kb.site import build_cache, plan, workers

    def made(cache_dir):
        settings = load_settings(sys.argv[2], sys.argv[1])
        cache = build_cache.PlanCache(Path(cache_dir), settings.audience)
        site = plan.plan_site(settings, None, cache)
        pages = {uri: cache.identity(cache.materialise(page)) for uri, page in site.pages.items()}
        return {"pages": pages, "problems": [str(problem) for problem in site.every_problem],
                "data_files": site.data_files, "documents": [repr(d) for d in site.documents]}

    cores = workers.worker_count()
    on_every_core = made(sys.argv[3] + "/a")
    workers.worker_count = lambda: 0
    print(json.dumps({"workers": cores, "on_every_core": on_every_core,
                      "here": made(sys.argv[3] + "/b")}))
    """
)


def test_a_plan_made_on_every_core_is_the_one_made_in_one_process(tmp_path: Path) -> None:
    benchmark = load_benchmark()
    incidents = benchmark.synthetic_library(workers.MIN_CALLS + 6, seed=11)
    config = benchmark.write_ours(tmp_path / "kb", incidents)
    source = tmp_path / "kb" / "postmortems"
    blaming = next(source.rglob("*.md"))
    (source / "broken.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    blaming.write_text(
        blaming.read_text(encoding="utf-8") + "\nThe operator should have checked the "
        "dashboard. It was human error.\n", encoding="utf-8")
    for audience in ("internal", "public"):
        done = subprocess.run(
            [sys.executable, "-c", PLAN_TWICE, str(config), audience, str(tmp_path / audience)],
            capture_output=True, text=True, cwd=config.parent, check=False,
            env={"PYTHONPATH": str(REPO_ROOT / "plugins"), "PATH": "/usr/bin:/bin"},
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["workers"] >= 1, "this machine has one core: nothing ran in a worker"
        assert result["on_every_core"] == result["here"]
        problems = "\n".join(result["here"]["problems"])
        assert "broken.md" in problems
        if audience == "internal":
            assert "blaming language: “human error”" in problems
            assert "blaming language: “should have checked”" in problems
        assert len(result["here"]["pages"]) > len(incidents)
        assert len(result["here"]["documents"]) >= len(incidents)
        assert result["here"]["data_files"]["incidents.json"].count('"id":') >= len(incidents)


def test_few_calls_are_made_in_this_process() -> None:
    """Starting workers for a handful of files would cost more than it saves."""
    calls = [(os.getpid, ())] * (workers.MIN_CALLS - 1)
    assert set(workers.map_calls(calls)) == {os.getpid()}


def test_a_frozen_heap_thaws_unless_someone_else_froze_it() -> None:
    """Workers and a build freeze what they plan (`frozen_heap`), and must not leave the
    process's garbage uncollectable, nor thaw what the live preview froze for good."""
    assert gc.get_freeze_count() == 0
    with workers.frozen_heap():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        kept = gc.get_freeze_count()
        with workers.frozen_heap():
            pass
        assert gc.get_freeze_count() == kept
    finally:
        gc.unfreeze()


def test_a_build_leaves_nothing_frozen(tmp_path: Path) -> None:
    kb = write_small_kb(tmp_path / "kb", "Frozen heap", {})
    build_site(kb / "mkdocs.yml", tmp_path / "site")
    assert gc.get_freeze_count() == 0


IN_FLIGHT = textwrap.dedent(
    """
    import json, os
    from postmortem_kb.site import workers

    submitted = []
    class Counted(workers.ProcessPoolExecutor):
        def submit(self, *args, **kwargs):
            submitted.append(1)
            return super().submit(*args, **kwargs)
    workers.ProcessPoolExecutor = Counted

    items = list(range(workers.MIN_CALLS * 2))
    taken, sent_when_taken = [], []
    for result in workers.map_forked(lambda item: (item, os.getpid()), items, chunk=4, in_flight=3):
        taken.append(result)
        sent_when_taken.append(len(submitted))
    print(json.dumps({"taken": taken, "sent": sent_when_taken, "here": os.getpid()}))
    """
)


def test_results_wait_in_the_workers_when_taken_slowly() -> None:
    """The theme's output of every page at once would be a good part of a build's memory:
    with `in_flight`, a chunk is sent only when the result of one sent before it is taken."""
    done = subprocess.run(
        [sys.executable, "-c", IN_FLIGHT], capture_output=True, text=True, check=False,
        env={"PYTHONPATH": str(REPO_ROOT / "plugins"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [item for item, _ in result["taken"]] == list(range(workers.MIN_CALLS * 2))
    assert result["here"] not in {pid for _, pid in result["taken"]}, "nothing ran in a worker"
    for index, sent in enumerate(result["sent"]):
        chunks_taken = index // 4 + 1
        assert sent <= 3 + chunks_taken, f"{sent} chunks sent when {chunks_taken} were taken"
    assert result["sent"][-1] == workers.MIN_CALLS * 2 // 4
