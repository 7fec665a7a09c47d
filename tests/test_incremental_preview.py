"""The live preview shows an edit first and what it changes across the library right after.

`pmkb serve` rebuilds only what a save changes; what is slow to compute over the whole library
(related incidents, the feeds, the search box's index, the longest lists) it takes from the
build before and computes after, then rebuilds once more (`site/build_cache.py`, `defer`).
This test runs the real server (`test_live_preview.py`'s helpers) and checks that those catch
up: a new published incident reaches the feed, a deleted one leaves it, and the incident list
follows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# The live preview's fixtures (`preview` serves `knowledge_base`, a tiny knowledge base).
from test_live_preview import knowledge_base, postmortem, preview, wait_for  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("preview", ["pmkb"], indirect=True)
def test_the_feed_and_lists_catch_up_with_an_added_and_a_deleted_incident(
    preview: str,  # noqa: F811
    knowledge_base: Path,  # noqa: F811
) -> None:
    source = knowledge_base / "postmortems"
    wait_for(
        preview + "feed.xml",
        lambda _, text: "Zone push removed records" in text,
        "the first incident in the feed",
    )

    (source / "capacity.md").write_text(postmortem("Queue backlog", tag="capacity"), "utf-8")
    wait_for(
        preview + "incidents/capacity/",
        lambda _, text: "Queue backlog" in text,
        "the added incident",
    )
    wait_for(
        preview + "feed.xml",
        lambda _, text: "Queue backlog" in text,
        "the added incident in the feed",
    )
    wait_for(
        preview + "incidents.json",
        lambda _, text: "Queue backlog" in text,
        "the added incident in incidents.json",
    )

    (source / "capacity.md").unlink()
    wait_for(
        preview + "incidents/capacity/",
        lambda status, _: status == 404,
        "404 for the deleted incident",
    )
    wait_for(
        preview + "feed.xml",
        lambda status, text: (
            status == 200 and "Queue backlog" not in text and "Zone push removed records" in text
        ),
        "the feed without the deleted incident",
    )
    wait_for(
        preview + "incidents/",
        lambda status, text: status == 200 and "Queue backlog" not in text,
        "the list without the deleted incident",
    )
