"""`pmkb import`: existing postmortem documents (Markdown, HTML, CSV) into our format.

Teams arrive with years of postmortems written on someone else's template. This stage reads
each document into plain blocks (`markdown_reader`, `html_reader`, `spreadsheet`), finds the
sections by their headings rather than by one exact layout (`headings`), turns what it
recognises into fields (`recognise`, `timeline`, `follow_ups`, `moments`), keeps everything
else as narrative, and writes one file per incident with a report of what it did
(`writer`, `batch`, `report`).

Imports: `core` only (the format, the settings, the YAML reader and the validator that checks
every file before it is written).
"""
