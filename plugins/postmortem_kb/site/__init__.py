"""Site: one audience's whole site as plain data, and publishing it safely.

`plan.plan_site` runs the pipeline (load → validate → project → enrich → render) and returns
every generated page, copied file and data file; the other modules each render one kind of
page (incident pages, listings and facet indexes, gallery, onboarding, insights, actions,
charts, feeds) or finish a build (each page's Content-Security-Policy, the public guard step,
atomic publish, single exports).

Imports: `search`, `public` and `core`; nothing of MkDocs (the plugin adapts it).
"""
