"""Quality: the gate a postmortem passes before review — complete for its severity, blameless,
with real follow-ups, on time.

Rules with ids in families (`complete/`, `blameless/`, `follow-up/`, `process/`; `schema/` is
the format check `core` already does), each documented in `rules.py`, which also generates the
"Writing a good postmortem" page. Findings are plain `Problem`s with a rule id and a
suggestion; they never change what a build includes.

Imports: `core` only.
"""
