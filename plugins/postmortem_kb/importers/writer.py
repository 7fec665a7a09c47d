"""A converted postmortem as a file: YAML front matter the strict reader accepts, then the
narrative.

Imported text can hold anything: `NO`, `2021-03-31`, `14:51`, `@team` or `*` at the start,
characters YAML refuses (control characters pasted from a terminal, U+2028). PyYAML's safe
dumper quotes every string another YAML reader would take for a date, a number or a bool,
and writes no anchors when told to ignore aliases (the loader refuses them); dates, times
and timestamps are written plain, as an author would. Characters the loader refuses are
replaced before dumping, so the file is never unreadable because of what it imported.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

#: Keys whose values are dates, times or timestamps: written plain (`date: 2021-03-31`).
_PLAIN_KEYS = {"date", "due", "at", "started", "detected", "mitigated", "resolved"}
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


class _Plain(str):
    """A date, time or timestamp: emitted without quotes."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_plain(dumper: yaml.SafeDumper, value: _Plain) -> yaml.ScalarNode:
    tag = dumper.resolve(yaml.ScalarNode, str(value), (True, False))
    return dumper.represent_scalar(tag, str(value))


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(_Plain, _represent_plain)


def clean_text(text: str) -> str:
    """Text without the characters the loader refuses (line separators become new lines)."""
    return _REFUSED.sub("", _LINE_BREAKS.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n")))


def _prepared(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {name: _prepared(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [_prepared(item, key) for item in value]
    if isinstance(value, str):
        text = clean_text(value).replace("\t", "    ")
        text = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
        return _Plain(text) if key in _PLAIN_KEYS else text
    return value


def postmortem_text(fields: dict[str, Any], body: str) -> str:
    """The file: `---`, the fields in the order given, `---`, the body."""
    front = yaml.dump(
        _prepared(fields),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return f"---\n{front}---\n\n{clean_text(body).strip()}\n"
