"""`pmkb`: the command line over the same core as the MkDocs plugin.

Each subcommand is a small function; settings come from the knowledge base's own
`mkdocs.yml` (`mkdocs.public.yml` for the public audience), so the CLI and the site can
never disagree about options. They are loaded through MkDocs once and then kept while the
config is unchanged (`settings_cache.py`).

Each subcommand imports what it uses inside its function, never at the top of this module:
building the parser and running `pmkb search` must not import MkDocs, numpy or the site
pipeline (`tests/test_cli_imports.py` checks). Choices that live in such modules are read
only when a value is checked or help is printed (`_ChoicesIn`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.settings import Settings, settings_from_config
from .settings_cache import cached_settings

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from ..core.problems import Problem
    from ..search.listing_aside import ListingAside

CONFIG_FILES = {"internal": "mkdocs.yml", "public": "mkdocs.public.yml"}
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def config_path(audience: str, config_file: str | None = None) -> Path:
    """The audience's config file, which must exist."""
    path = Path(config_file or CONFIG_FILES[audience])
    if not path.is_file():
        raise CliError(f"{path}: not found; run pmkb in the knowledge base folder or pass -f")
    return path


def load_mkdocs_config(audience: str, config_file: str | None = None) -> MkDocsConfig:
    """The audience's MkDocs config, with the plugin's options validated."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    path = config_path(audience, config_file)
    configure_logging()
    try:
        return load_config(config_file=str(path))
    except ConfigurationError as exc:
        raise CliError(f"{path}: {exc}") from None
    except Abort:
        # MkDocs has logged each invalid option (on stderr, above) before aborting.
        raise CliError(f"{path}: invalid configuration (see the errors above)") from None


def load_settings(audience: str, config_file: str | None = None) -> Settings:
    """Core settings as the audience's site build would use them (kept while the config
    files are unchanged: see `settings_cache.py`)."""

    def load() -> tuple[Settings, bool]:
        config = load_mkdocs_config(audience, config_file)
        return settings_for(config), bool(config.plugins["postmortems"].config["build_date"])

    return cached_settings(config_path(audience, config_file), load)


def settings_for(config: MkDocsConfig) -> Settings:
    """Core settings from a loaded config whose `postmortems` plugin is enabled."""
    plugin = config.plugins.get("postmortems")
    if plugin is None:
        raise CliError(f"{config.config_file_path}: the `postmortems` plugin is not enabled")
    return settings_from_config(plugin.config, config)


class _ChoicesIn:
    """argparse choices defined in a module the command imports anyway (`--format` of
    `export` is `site.export.FORMATS`): read when a value is checked or help is printed, so
    parsing any other command does not import that module. Give the option a `metavar`, or
    argparse reads the choices while the parser is built."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def _values(self) -> Sequence[Any]:
        values: Sequence[Any] = getattr(importlib.import_module(self.module, __package__),
                                        self.name)
        return values

    def __contains__(self, value: object) -> bool:
        return value in self._values()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values())


# -- subcommands -----------------------------------------------------------------------


def cmd_new(args: argparse.Namespace) -> int:
    from .new_postmortem import NewPostmortemError, write_new_postmortem

    settings = load_settings("internal", args.config_file)
    try:
        path = write_new_postmortem(
            settings,
            args.title,
            severity=args.severity,
            services=args.service or [],
            tags=args.tag or [],
            date=_date_option("--date", args.date),
        )
    except NewPostmortemError as exc:
        raise CliError(str(exc)) from None
    print(f"Created {path}")
    return EXIT_OK


def cmd_approve(args: argparse.Namespace) -> int:
    from .approve import ApprovalRefused, record_approval

    settings = load_settings("internal", args.config_file)
    try:
        print(record_approval(settings, args.id, args.by, public=args.public))
    except ApprovalRefused as exc:
        raise CliError(str(exc)) from None
    return EXIT_OK


def cmd_agenda(args: argparse.Namespace) -> int:
    from .agenda import AgendaError, agenda_document

    settings = load_settings("internal", args.config_file)
    try:
        document = agenda_document(settings, args.id, args.minutes)
    except AgendaError as exc:
        raise CliError(str(exc)) from None
    _write_document(document, args.output)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from ..core.console_report import collapse
    from ..core.problems import in_reading_order
    from ..site.plan import plan_site
    from .engine_check import plugin_engine_warning

    settings = load_settings("internal", args.config_file)
    plan = plan_site(settings)
    problems = in_reading_order(plan.every_problem)
    files = len(plan.kb.incidents) + len(plan.kb.skipped)
    errors = sum(problem.is_error for problem in problems)
    warnings = len(problems) - errors
    if args.format == "json":
        print(check_report_json(files, problems))
    elif args.format == "github":
        for problem in problems:
            print(github_annotation(problem))
    else:
        # One line per cause (`console_report.py`); json and github keep every finding.
        for group in collapse(problems):
            print(f"{group.severity}: {group} [{group.rule}]", file=sys.stderr)
            if group.suggestion:
                print(f"    {group.suggestion}", file=sys.stderr)
        print(
            f"{files} postmortem file(s): {len(plan.kb.incidents)} valid, "
            f"{len(plan.view.public)} public; {errors} error(s), {warnings} warning(s)"
        )
        if plan.kb.skipped:
            print("Not published because of errors: " + ", ".join(plan.kb.skipped))
        if engine_warning := plugin_engine_warning():
            print(f"warning: {engine_warning}", file=sys.stderr)
    failed = errors > 0 or (args.strict and warnings > 0)
    return EXIT_PROBLEMS if failed else EXIT_OK


def check_report_json(files: int, problems: Sequence[Problem]) -> str:
    """`pmkb check --format json`: one object, every problem with its rule and level."""
    return json.dumps({
        "files": files,
        "problems": [
            {"file": p.file, "line": p.line, "field": p.field or None, "rule": p.rule,
             "level": p.severity, "message": p.message, "suggestion": p.suggestion}
            for p in problems
        ],
    }, indent=2, ensure_ascii=False)


def github_annotation(problem: Problem) -> str:
    """A GitHub Actions workflow command that annotates the file and line of a problem."""
    def escaped(text: str, *, property_value: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if property_value else text

    where = f"file={escaped(problem.file, property_value=True)}"
    if problem.line:
        where += f",line={problem.line}"
    title = escaped(f"{problem.rule} {problem.field}".strip(), property_value=True)
    message = problem.message + (f" ({problem.suggestion})" if problem.suggestion else "")
    return f"::{problem.severity} {where},title={title}::{escaped(message)}"


def cmd_build(args: argparse.Namespace) -> int:
    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort, PluginError

    audiences = ["internal", "public"] if args.audience == "both" else [args.audience]
    for audience in audiences:
        config_file = args.config_file if len(audiences) == 1 else None
        config = load_mkdocs_config(audience, config_file)
        config["strict"] = args.strict
        # Dirty: the plugin has MkDocs render only the pages whose output changed, and
        # makes the same site a clean build would (`mkdocs_plugin/incremental.py`).
        config.plugins.on_startup(command="build", dirty=not args.clean)
        try:
            build(config, dirty=not args.clean)
        except (Abort, PluginError) as exc:
            raise CliError(f"{audience} build failed: {exc}") from None
        finally:
            config.plugins.on_shutdown()
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from mkdocs.commands.serve import serve
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    config_file = args.config_file or CONFIG_FILES[args.audience]
    configure_logging()
    try:
        # Dirty: a save renders only the pages it changes (see `cmd_build`).
        serve(config_file=config_file, dev_addr=args.dev_addr, livereload=True,
              build_type="dirty")
    except (Abort, PluginError, ConfigurationError) as exc:
        raise CliError(str(exc)) from None
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    from ..search.listing_aside import ListingAside

    settings = load_settings(args.audience, args.config_file)
    if settings.is_public:
        return _search(args, settings, None)
    # Listed in a child forked before whoosh is imported: the one part of a search that grows
    # with the library runs beside the rest (`search/listing_aside.py`).
    with ListingAside(settings) as listing:
        return _search(args, settings, listing)


def _search(args: argparse.Namespace, settings: Settings, listing: ListingAside | None) -> int:
    from ..search.index import SearchCacheError, SearchIndexError, SearchQueryError, SearchRequest
    from ..search.output import (
        format_no_results,
        format_results,
        results_as_json,
        use_highlighting,
    )
    from ..search.service import search_built_index, search_library

    try:
        request = SearchRequest(
            query=args.query, tags=tuple(args.tag or ()), services=tuple(args.service or ()),
            severity=args.severity, since=_date_option("--since", args.since), limit=args.limit,
        )
    except SearchQueryError as exc:
        raise CliError(str(exc)) from None
    try:
        if settings.is_public:
            # The public index holds only text a public build's leak guard passed; it is
            # never built from a projection no guard has seen.
            answer = search_built_index(settings, request)
        else:
            answer = search_library(settings, request, listing)
    except (SearchCacheError, SearchIndexError) as exc:
        raise CliError(str(exc)) from None
    base_url = settings.site_url or ""
    if args.json:
        print(results_as_json(answer.results, base_url=base_url))
    elif answer.suggestions is not None:
        print(format_no_results(args.query, answer.suggestions))
    else:
        print(format_results(answer.results, highlight=use_highlighting(sys.stdout),
                             base_url=base_url, width=shutil.get_terminal_size().columns))
    return EXIT_OK


def _date_option(name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{name}: '{value}' is not a date; expected YYYY-MM-DD") from None


def _result_limit(value: str) -> int:
    """`--limit`: 1 or more; argparse prints the error as a usage line, not a traceback."""
    if not re.fullmatch(r"\d{1,9}", value.strip()) or int(value) < 1:
        raise argparse.ArgumentTypeError("expected a whole number from 1 to 999999999")
    return int(value)


def cmd_export(args: argparse.Namespace) -> int:
    from ..site.export import ExportError, export_incident
    from ..site.plan import plan_site

    settings = load_settings("public", args.config_file)
    try:
        document = export_incident(plan_site(settings), args.id, args.format)
    except ExportError as exc:
        for leak in exc.leaks:
            print(f"leak: {leak}", file=sys.stderr)
        raise CliError(str(exc)) from None
    _write_document(document, args.output)
    return EXIT_OK


def _write_document(document: str, output: str | None) -> None:
    """To the `-o` file when given, else to stdout."""
    if output:
        try:
            Path(output).write_text(document, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{output}: cannot write the document ({exc.strerror or exc}); "
                           "expected a file name in a folder you can write") from None
        print(f"Wrote {output}")
    else:
        sys.stdout.write(document)


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import GenerateError, generate_site

    config = load_mkdocs_config(args.audience, args.config_file)
    try:
        generated = generate_site(config, settings_for(config), Path(args.out))
    except GenerateError as exc:
        for problem in exc.problems:
            print(f"{problem.severity}: {problem}", file=sys.stderr)
        raise CliError(str(exc)) from None
    print(f"Wrote {generated.pages} page(s) and {generated.files} file(s) to {args.out}; "
          f"build them with: mkdocs build -f {generated.config_file}")
    return EXIT_OK


def cmd_guard(args: argparse.Namespace) -> int:
    from .guard import GuardError, guard_site

    try:
        leaks = guard_site(load_settings(args.audience, args.config_file), Path(args.site_dir))
    except GuardError as exc:
        raise CliError(str(exc)) from None
    for leak in leaks:
        print(f"leak: {leak}", file=sys.stderr)
    if leaks:
        print(f"leak guard: {len(leaks)} match(es) of private data or deny patterns in "
              f"{args.site_dir}; do not publish it", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"leak guard: no private data in {args.site_dir}")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from .init_kb import InitRefused, approve_example, write_knowledge_base

    folder = Path(args.dir)
    try:
        written = write_knowledge_base(folder, name=args.name, public_url=args.public_url)
    except InitRefused as exc:
        print(f"pmkb: {exc}", file=sys.stderr)
        return EXIT_USAGE
    config = load_mkdocs_config("internal", str(folder / CONFIG_FILES["internal"]))
    approval = approve_example(settings_for(config))
    print(f"Created a knowledge base in {folder} ({written} files); {approval}.")
    print(f"Next: cd {folder} && pmkb check && pmkb serve")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from .import_docs import ImportCommandError, default_settings, run_import

    has_config = args.config_file or Path(CONFIG_FILES["internal"]).is_file()
    settings = load_settings("internal", args.config_file) if has_config else default_settings(
        args.into)
    try:
        return run_import(args, settings)
    except ImportCommandError as exc:
        raise CliError(str(exc)) from None


# -- wiring ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pmkb", description="Incident postmortem knowledge base: check, build, search."
    )
    parser.add_argument(
        "-f",
        "--config-file",
        help="MkDocs config (default: mkdocs.yml, or mkdocs.public.yml for the public audience)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    new = commands.add_parser("new", help="start a postmortem from the template")
    new.add_argument("title")
    new.add_argument("--severity", default=None, help="e.g. SEV-2 (default: the mildest)")
    new.add_argument("--service", action="append", help="affected service (repeatable)")
    new.add_argument("--tag", action="append", help="theme tag (repeatable)")
    new.add_argument("--date", help="incident date, YYYY-MM-DD (default: today)")
    new.set_defaults(run=cmd_new)

    check = commands.add_parser("check", help="validate every postmortem file")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument("--format", choices=["text", "json", "github"], default="text",
                       help="json: one object for tools; github: workflow annotations")
    check.set_defaults(run=cmd_check)

    build = commands.add_parser("build", help="build the site(s) and swap them into place")
    build.add_argument("--audience", choices=["internal", "public", "both"], default="internal")
    build.add_argument("--strict", action="store_true", help="fail on any warning")
    build.add_argument("--clean", action="store_true",
                       help="render every page, not only those that changed since the last build")
    build.set_defaults(run=cmd_build)

    search = commands.add_parser("search", help="find past incidents")
    search.add_argument(
        "query",
        help="words, and fielded terms: tag:, service:, severity:, trigger:, factor:, status: "
        "filter (-tag:dns excludes); title:, summary:, key_learning:, text: search one field; any "
        "other name: is read as plain words",
    )
    search.add_argument("--tag", action="append", help="only incidents with this tag")
    search.add_argument("--service", action="append", help="only incidents of this service")
    search.add_argument("--severity", help="only this severity, e.g. SEV-1")
    search.add_argument("--since", help="only incidents on or after YYYY-MM-DD")
    search.add_argument("--audience", choices=["internal", "public"], default="internal")
    search.add_argument("--limit", type=_result_limit, default=10,
                        help="at most this many (default 10)")
    search.add_argument("--json", action="store_true", help="a JSON list, for scripts")
    search.set_defaults(run=cmd_search)

    export = commands.add_parser("export", help="one customer-facing postmortem document")
    export.add_argument("id", help="incident id")
    export.add_argument("--audience", choices=["public"], default="public",
                        help="only public documents can be exported")
    export.add_argument("--format", choices=_ChoicesIn("..site.export", "FORMATS"), default="md",
                        metavar="FORMAT", help="%(choices)s (default: %(default)s)")
    export.add_argument("-o", "--output", help="write to this file instead of stdout")
    export.set_defaults(run=cmd_export)

    generate = commands.add_parser(
        "generate", help="write the site as plain sources any MkDocs-like engine builds")
    generate.add_argument("--audience", choices=["internal", "public"], default="internal")
    generate.add_argument("--out", required=True, help="new or empty folder (or an earlier one)")
    generate.set_defaults(run=cmd_generate)

    guard = commands.add_parser("guard", help="run the public leak guard over a built site")
    guard.add_argument("site_dir", help="the built site folder, whoever built it")
    guard.add_argument("--audience", choices=["public"], default="public")
    guard.set_defaults(run=cmd_guard)

    approve = commands.add_parser("approve", help="record an approval in a postmortem's file")
    approve.add_argument("id", help="incident id")
    approve.add_argument("--public", action="store_true", help="approve the public text")
    approve.add_argument("--by", required=True, metavar="@HANDLE", help="who approves")
    approve.set_defaults(run=cmd_approve)

    agenda = commands.add_parser("agenda", help="the review meeting's agenda and pre-read")
    agenda.add_argument("id", help="incident id")
    agenda.add_argument("--minutes", type=int, choices=_ChoicesIn(".agenda", "MEETING_LENGTHS"),
                        default=60, metavar="MINUTES", help="%(choices)s (default: %(default)s)")
    agenda.add_argument("-o", "--output", help="write to this file instead of stdout")
    agenda.set_defaults(run=cmd_agenda)

    serve = commands.add_parser("serve", help="live preview while you write")
    serve.add_argument("--audience", choices=["internal", "public"], default="internal")
    serve.add_argument("--dev-addr", default=None, help="IP:PORT (default 127.0.0.1:8000)")
    serve.set_defaults(run=cmd_serve)

    init = commands.add_parser("init", help="start a new knowledge base in a folder")
    init.add_argument("dir", nargs="?", default=".", help="folder (default: the current one)")
    init.add_argument("--name", default="Example Corp", help="organisation name (site titles)")
    init.add_argument("--public-url", help="the public site's address, e.g. https://status.x/")
    init.set_defaults(run=cmd_init)

    imports = commands.add_parser("import", help="convert existing postmortem documents")
    imports.add_argument("paths", nargs="+", metavar="PATH",
                         help="documents (.md, .html, .htm, .csv) or folders of them")
    imports.add_argument("--into", help="folder to write to (default: source_dir of mkdocs.yml)")
    imports.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    imports.add_argument("--json", action="store_true", help="the report as JSON")
    imports.add_argument("--default-severity",
                         help="for documents that state none (default: the mildest)")
    imports.add_argument("--status", choices=["draft", "review", "published"], default="draft",
                         help="of the files written (default: draft); a file with something "
                         "a human must decide stays a draft")
    imports.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                         help="a spreadsheet column's field, e.g. --map 'Incident name=title'")
    imports.set_defaults(run=cmd_import)
    return parser


#: The name of the handler `pmkb` adds, so that configuring again replaces it.
_HANDLER_NAME = "pmkb-cli"


def configure_logging() -> None:
    """Show MkDocs' and our warnings as `WARNING - message` lines on stderr.

    Called where MkDocs is loaded (`load_mkdocs_config`, `cmd_serve`): only MkDocs and the
    plugin it runs log there, and a search from cached settings never imports `logging`.
    """
    import logging

    logger = logging.getLogger("mkdocs")
    for previous in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(previous)  # bound to the stderr of an earlier call
    handler: logging.Handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(levelname)-7s - %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except CliError as exc:
        print(f"pmkb: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
