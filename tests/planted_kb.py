"""A knowledge base with XSS payloads planted in every field authors write, for the build and
browser tests of the sanitizer (`test_xss_build.py`, `test_xss_browser.py`).

An incident per field holds the corpus (`fixtures/xss_payloads.txt`) in that field and plain
text elsewhere; every incident holds, in its public fields, the payloads the public projection
accepts. `_gallery.yml` and `_paths.yml` hold them too. With plain internal text (for the
public site) that is one incident, `planted`. Each value is named after its field
(`isummary3 <payload>`: internal, `p…`: public), so a test can tell that a field reached its
page.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from html_safety import load_payloads
from postmortem_kb.public.markdown_reading import read_markdown
from site_builder import write_small_kb

PAYLOADS = load_payloads()
#: Text that looks like a payload but renders as text: entities, code, a scheme in words.
LOOK_ALIKE_PAYLOADS = [
    "&lt;img src=x onerror=window.__pwned=1&gt;",
    "&#60;script&#62;window.__pwned=1&#60;/script&#62;",
    "javascript:window.__pwned=1 written as words",
    "[a safe link](https://example.com/?q=%3Cscript%3E)", "a < b and c > d",
]  # fmt: skip
#: What public fields hold: the payloads the public projection lets through (it refuses raw
#: HTML, handlers, styles, unsafe link schemes and text that starts a tag, reading each text
#: as the renderer does: today none of the corpus) and the look-alikes.
PUBLIC_PAYLOADS = [
    payload
    for payload in [*PAYLOADS, *LOOK_ALIKE_PAYLOADS]
    if not ((reading := read_markdown(payload)).raw_html or reading.unsafe)
]
#: Link targets, for the fields that are URLs, then every payload as a target too.
URL_PAYLOADS = [
    "javascript:window.__pwned=1", "JaVaScRiPt:window.__pwned=1",
    "jav\tascript:window.__pwned=1", " javascript:window.__pwned=1",
    "jav&#x09;ascript:window.__pwned=1", "&#106;avascript:window.__pwned=1",
    "data:text/html,<script>parent.__pwned=1</script>", "vbscript:msgbox(1)",
    'https://example.com/" onmouseover="window.__pwned=1', 'x" onerror="window.__pwned=1',
    "<javascript:window.__pwned=1>", 'javascript:window.__pwned=1 "a title"',
    *PAYLOADS,
]  # fmt: skip
PLAIN = ["plain text"]
PLAIN_URLS = ["https://example.com/"]


def planted(label: str, payloads: list[str]) -> list[str]:
    """One value per payload, each named after its field (`i…` internal, `p…` public), so a
    test can tell the field reached the page."""
    return [f"{label}{number} {payload}" for number, payload in enumerate(payloads)]


def one_line(label: str, payloads: list[str]) -> str:
    return " ".join(planted(label, payloads))


def paragraphs(label: str, payloads: list[str]) -> str:
    return "\n\n".join(planted(label, payloads))


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def planted_incident(internal: list[str], urls: list[str]) -> dict[str, object]:
    """An incident with `internal` payloads in every internal field, `urls` in its link
    fields, and the public payloads in its public fields."""
    return {
        "title": one_line("ititle", internal),
        "date": "2024-05-02",
        "status": "published",
        "severity": "SEV-2",
        "services": planted("iservices", internal),
        "tags": ["dns", *planted("itags", internal)],
        "trigger": one_line("itrigger", internal),
        "commander": "@ann",
        "owner": "@bob",
        "roles": {"@ann": one_line("iroles", internal), "@bob": "postmortem owner"},
        "impact": {
            "started": "2024-05-02T10:00:00Z",
            "resolved": "2024-05-02T11:00:00Z",
            "customer": one_line("iimpact", internal),
            "phases": [
                {"state": "outage", "from": "2024-05-02T10:00:00Z",
                 "note": one_line("iphases", internal)},
                {"state": "recovering", "from": "2024-05-02T10:30:00Z",
                 "to": "2024-05-02T11:00:00Z", "note": one_line("pphases", PUBLIC_PAYLOADS),
                 "public": True},
            ],
            "measures": [
                {"what": one_line("imeasures", internal), "value": 5000,
                 "unit": one_line("imeasures-unit", internal)},
                {"what": one_line("pmeasures", PUBLIC_PAYLOADS), "value": 78, "unit": "%",
                 "public": True},
            ],
        },
        "key_learning": one_line("ikey_learning", internal),
        "summary": paragraphs("isummary", internal),
        "timeline": [
            *({"at": clock(10 * 60 + minute), "event": event, "kind": "action"}
              for minute, event in enumerate(planted("itimeline", internal))),
            *({"at": clock(12 * 60 + minute), "event": event, "public": True}
              for minute, event in enumerate(planted("ptimeline", PUBLIC_PAYLOADS))),
        ],
        **{name: planted(f"i{name}", internal) for name in (
            "mitigators", "surprises", "went_well", "went_wrong", "got_lucky", "five_whys",
            "unknowns",
        )},
        # Factor objects: the text is the author's, kind and factor id a closed vocabulary.
        "contributors": [{"text": text, "kind": "technical", "factor": "planted-factor"}
                         for text in planted("icontributors", internal)],
        "risks": [{"text": text, "likelihood": "high", "severity": "low"}
                  for text in planted("irisks", internal)],
        "learnings": {"technical": planted("ilearnings", internal)},
        "evidence": [
            {"caption": caption, "link": link}
            for caption, link in zip(planted("ievidence", urls), urls, strict=True)
        ],
        "follow_ups": [
            *({"action": action, "owner": owner, "ticket": ticket, "priority": priority,
               "check": check, "status": "in-progress", "type": "prevent"}
              for action, owner, ticket, priority, check in zip(
                  planted("ifollow_ups-action", internal), planted("ifollow_ups-owner", internal),
                  planted("ifollow_ups-ticket", internal),
                  planted("ifollow_ups-priority", internal),
                  planted("ifollow_ups-check", internal), strict=True)),
            *({"action": action, "owner": "@bob", "status": "open", "public": True}
              for action in planted("pfollow_ups", PUBLIC_PAYLOADS)),
        ],
        "links": dict(zip(planted("ilinks", urls), urls, strict=True)),
        "public": {
            name: one_line(f"p{name}", PUBLIC_PAYLOADS) if name == "title"
            else paragraphs(f"p{name}", PUBLIC_PAYLOADS)
            for name in ("title", "summary", "impact", "remediation", "key_learning")
        } | {"services": planted("pservices", PUBLIC_PAYLOADS)},
    }


#: The fields that hold no author text.
NOT_TEXT = ("date", "status", "severity", "commander", "owner")


def planted_incidents(internal: list[str], urls: list[str]) -> dict[str, str]:
    """File name → text of the incident `planted`, with `internal` payloads in its narrative
    and plain text in its fields, and of an incident `planted-<field>` per field that holds
    other payloads than that: an author's unclosed `<style>` swallows the rest of its page
    (the sanitizer drops it with its content, as a browser would hide it), which would hide
    every later field of one incident holding them all."""
    plain, full = planted_incident(PLAIN, PLAIN_URLS), planted_incident(internal, urls)
    incidents = {"planted": plain} | {
        f"planted-{name.replace('_', '-')}": {**plain, name: full[name]}
        for name in full if name not in NOT_TEXT and full[name] != plain[name]
    }
    body = "\n\n".join([
        paragraphs("ibody", internal), *(f"## {text}" for text in planted("iheading", internal))
    ])
    # Files not named after the incident: a file name is private, an id public.
    return {
        f"file-of-{name}.md": f"---\n{yaml.safe_dump({'id': name, **incident}, sort_keys=False)}"
                              f"---\n{body if name == 'planted' else ''}\n"
        for name, incident in incidents.items()
    }


def write_planted_kb(root: Path, internal: list[str], urls: list[str]) -> Path:
    """A knowledge base of the planted incidents, a gallery and a reading path, and a public
    config (`mkdocs.public.yml`) for `pmkb export`."""
    write_small_kb(root, "Planted", planted_incidents(internal, urls))
    config = root / "mkdocs.yml"
    settings = config.read_text(encoding="utf-8")
    for old, new in [("[tables,", "[tables, {toc: {permalink: true}},"),
                     ("capacity: Headroom}}", "capacity: Headroom}, public_tags: [dns]}"),
                     # A sidebar of a page per tag and service would dwarf every page.
                     ("plugins:", "not_in_nav: |\n  /services/*/\n  /tags/*/\nplugins:")]:
        assert old in settings
        settings = settings.replace(old, new)
    config.write_text(settings, encoding="utf-8")
    (root / "mkdocs.public.yml").write_text(
        "INHERIT: mkdocs.yml\nplugins:\n  postmortems:\n    audience: public\n", encoding="utf-8"
    )
    side_files = {
        # Lessons are public text: `p` labels.
        "_gallery.yml": {"entries": [
            {"company": company, "year": 2020, "incident": incident, "key_learning": learning,
             "link": 'https://example.com/"onmouseover="window.__pwned=1', "tags": ["dns"]}
            for company, incident, learning in zip(
                planted("pcompany", PAYLOADS), planted("pincident", PAYLOADS),
                planted("plesson", PAYLOADS), strict=True)
        ]},
        "_paths.yml": {"paths": [
            reading_path(name, internal) for name in ("description", "why", "questions")
        ]},
    }
    for name, data in side_files.items():
        (root / "postmortems" / name).write_text(yaml.safe_dump(data), encoding="utf-8")
    return root


def reading_path(field: str, internal: list[str]) -> dict[str, object]:
    """A path with `internal` payloads in its title and in `field` (a path per Markdown field,
    as for the incidents)."""

    def texts(name: str) -> list[str]:
        return planted(f"i{name}", internal if name == field else [])

    return {
        "id": f"planted-{field}",
        "title": one_line(f"ipath-{field}", internal),
        "description": "\n\n".join(texts("description")),
        "steps": [{"incident": "planted", "why": "\n\n".join(texts("why")),
                   "questions": texts("questions")}],
    }


def labels_in(text: str) -> set[str]:
    """The labels of the planted values in `text`."""
    return set(re.findall(r"\b([ip][a-z_-]+)0 ", text))
