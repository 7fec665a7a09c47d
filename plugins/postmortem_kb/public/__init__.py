"""Public: what customers may see, and the proof that nothing else reached them.

The allowlist projection of an incident into a `PublicIncident`, the internal-markup parser
(`::: internal` blocks, `{.internal}` spans, handles shown as roles), and the leak scan that
checks a finished public site: the private strings it looks for, the deny patterns it
matches, and the walk over every output file.

Imports: `core` only (plus the standard library and Python-Markdown).
"""
