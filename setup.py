"""Install the `postmortem_kb` package from `plugins/`, its MkDocs plugin and the `pmkb` command."""

from __future__ import annotations

from setuptools import find_packages, setup

setup(
    name="postmortem-kb",
    version="0.1.0",
    description="A static site generator for incident postmortem knowledge bases (MkDocs plugins).",
    python_requires=">=3.10",
    package_dir={"": "plugins"},
    packages=find_packages("plugins"),
    include_package_data=True,
    package_data={
        "postmortem_kb": [
            "py.typed", "templates/*", "templates/**/*", "assets/*", "assets/**/*",
            # `pmkb init`'s knowledge base (cli/init_kb.py).
            "starter/*", "starter/**/*",
        ]
    },
    install_requires=[
        # 2.0 is announced without a plugin system.
        "mkdocs>=1.6,<2",
        "mkdocs-material>=9.5,<10",
        "pyyaml>=6.0",
        "jinja2>=3.1",
        # The maintained fork of whoosh: same `whoosh` import, fixes Python 3.12 warnings.
        "whoosh-reloaded>=2.7.5,<3",
        # Related incidents add up a few thousand weighted postings per incident: array
        # operations do that in seconds at 10,000 incidents, a Python loop in minutes.
        "numpy>=1.26",
        # Sanitizes all HTML made from author text (core/sanitize.py): ammonia's allowlist
        # parser, maintained, rather than patterns of our own.
        "nh3>=0.3.8,<0.4",
    ],
    extras_require={
        "test": [
            "pytest>=8",
            "pytest-xdist>=3.5",
            "playwright>=1.45",
            "feedparser>=6.0",
            "ruff>=0.6",
            "mypy>=1.10",
            "types-PyYAML",
            "types-Markdown",
            # Runs the layer contracts in pyproject.toml (tests/test_architecture.py): a
            # maintained checker of import graphs rather than an AST walk of our own.
            "import-linter>=2.1",
            # Property tests of the public projection (tests/test_internal_markup_reading.py):
            # generated documents find the mixes of fences, quotes and invisible characters
            # no hand-written list would.
            "hypothesis>=6.100",
            # An engine that runs no plugin of ours builds `pmkb generate`'s sources
            # (tests/test_generate.py). 0.1 needs a package the registry does not serve here.
            "zensical>=0.0.73,<0.1",
        ],
    },
    entry_points={
        "mkdocs.plugins": [
            "postmortems = postmortem_kb.mkdocs_plugin.plugin:PostmortemsPlugin",
        ],
        "console_scripts": ["pmkb = postmortem_kb.cli:main"],
    },
)
