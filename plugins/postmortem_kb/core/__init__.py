"""Core: read, validate and describe a knowledge base as plain data.

The first stage of every build and command: the incident model, settings, problems, the YAML
reader, file loading, validation, the knowledge-base loader, the reader of the KB's side files
(`_roles.yml`, `_gallery.yml`, `_paths.yml`) and the map of every generated page's URL.

It also holds the one HTML sanitizer (`sanitize.py`), here because every stage that makes HTML
needs it.

Imports: the standard library, PyYAML, and nh3 (in `sanitize.py` only); nothing else of this
package (it is the bottom layer), and nothing of MkDocs, Markdown or Jinja.
"""
