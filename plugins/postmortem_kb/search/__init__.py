"""Search: the whoosh index of one audience's incidents, and related incidents.

Search documents made from (already projected) incidents, the index kept outside the site,
the service the CLI and the build call, the terminal and JSON output of `pmkb search`, and
related incidents from the same documents. whoosh is imported here and nowhere else.

Imports: `public` and `core`.
"""
