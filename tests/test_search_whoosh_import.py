"""whoosh is imported without the modules it takes for features never used (`whoosh_import.py`).

Each check runs in a fresh interpreter, where nothing has imported those modules yet: that
is where the stand-ins apply, and where what whoosh kept of them must still work.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

from postmortem_kb.search import whoosh_import

DEFERRED = ("urllib.request", "asyncio", "cached_property", "whoosh.lang.morph_en")


def run_fresh(code: str, *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_index_leaves_the_unused_dependencies_unimported() -> None:
    loaded = run_fresh(
        """
        import sys
        import postmortem_kb.search.index
        print(" ".join(name for name in sys.argv[1:] if name in sys.modules))
        """,
        *DEFERRED,
    )
    assert loaded == ""


def test_what_whoosh_kept_of_them_works_and_imports_the_real_modules(tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text("copied", encoding="utf-8")
    report = run_fresh(
        """
        import functools, sys
        import postmortem_kb.search.index
        import whoosh.compat, whoosh.query.terms, whoosh.reading

        source, copy = sys.argv[1:]
        whoosh.compat.urlretrieve("file://" + source, copy)
        import urllib.request
        print(open(copy).read(), hasattr(urllib.request, "urlopen"))

        import whoosh.lang.morph_en
        word = "rendering"
        print(whoosh.query.terms.variations(word) == whoosh.lang.morph_en.variations(word))

        kept = vars(whoosh.reading.SegmentReader)["deleted_docs_set"]
        print(isinstance(kept, functools.cached_property))
        import cached_property
        print(cached_property.cached_property is not functools.cached_property)
        """,
        str(source),
        str(tmp_path / "copy.txt"),
    )
    assert report.split("\n") == ["copied True", "True", "True", "True"]


def test_a_module_already_imported_is_not_stood_in_for() -> None:
    report = run_fresh(
        """
        import urllib.request
        import postmortem_kb.search.index
        import whoosh.compat
        print(whoosh.compat.urlretrieve is urllib.request.urlretrieve)
        """
    )
    assert report == "True"


def test_a_name_not_stood_in_for_is_the_real_modules() -> None:
    """A later whoosh may import more from these modules: it gets the real thing."""
    assert whoosh_import._stand_in("urllib.request").urlopen is urllib.request.urlopen
