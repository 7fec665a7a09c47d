"""The MkDocs adapter of postmortem-kb: typed config and a thin plugin over the core."""
