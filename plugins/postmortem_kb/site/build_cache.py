"""What planning a site computed, kept under `cache_dir`: the next build computes what changed.

Planning (`plan.plan_site`) reads, validates and projects every postmortem and renders every
generated page with Jinja before MkDocs starts. At thousands of incidents that took seconds on
every build and every save in the live preview, although an edit changes one file.
`PlanCache` keeps each result under a key that covers everything it was computed from, so a
result is reused only where computing it again would give the same one:

- a file's load (read + validate): its bytes and path, the settings, the side files
  (`_roles.yml`, …), today's date and this package's code; and the evidence files it names
  (by size and time). A file whose evidence had a problem (a file not there yet) is read again
  whenever anything under the source folder appears, goes or changes.
- an incident's projection, quality findings and search document: the incident (its file's
  key, plus any field the cross-file checks changed) and the same context.
- a generated page: its template, its address and every value the template gets (see
  `Fingerprints`), the templates and `overrides/pmkb/`, the renderer's options.
- related incidents and the data files: every input, the same way.

Results live in memory (`pmkb serve` keeps one cache across rebuilds) and in one file per
audience under `cache_dir/build/`, written when a build computed something new and pruned to
what that build used. A cache file that is missing, damaged or written by other code is
ignored: the folder is safe to delete.

The live preview may `defer` what takes long over the whole library (related incidents, the
feeds, the pages that list every incident or every problem): a rebuild then shows the edit
with the last build's result of those, `revalidate` computes the new ones after the build,
and the preview is built again with them, exactly as a clean build would make it.

A page is not stored, only its identity (`page_identity`: a digest of its Markdown and HTML
blocks). That is what the MkDocs adapter compares with the page it built last time
(`mkdocs_plugin/incremental.py`); a page it does not have to build again is never rendered,
and one it does is rendered from the template then (`materialise`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import hashlib
import logging
import os
import pickle
import re
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any, TypeVar

import jinja2
from jinja2.bccache import Bucket

from ..core.fingerprint import package_fingerprint
from ..core.knowledge_base import FileRead, KnowledgeBase, read_file
from ..core.model import Incident
from ..core.problems import Problem
from ..core.settings import Settings
from .render import OVERRIDES_SUBDIR, PageRenderer, RenderedPage
from .workers import map_calls, map_forked

log = logging.getLogger(__name__)

#: Bump when what a key covers or the layout of the cache file changes.
CACHE_VERSION = 2
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: A placeholder's nonce in a rendered page (`render.py`: `pmkb<nonce>b<n>`).
_NONCE = re.compile(r"^pmkb([0-9a-f]+)b[0-9]+$")

T = TypeVar("T")
#: A page that took this long to render may be shown as it was for a moment (`defer`).
SLOW_PAGE_SECONDS = 0.1
#: A file changed this recently (ns) may change again unseen by size and time.
RACY_NS = 2_000_000_000


class Unfingerprintable(TypeError):
    """A value whose content cannot be told by a digest (a lambda, an open file …)."""


class Fingerprints:
    """Digests of values by what they contain, so equal inputs give equal keys across processes.

    Strings, bytes, numbers, dates, paths, enums, dataclasses (every field, those left out of
    `repr` too), mappings in their order, sequences, sets (sorted), module-level functions (by
    name: the code is in the package fingerprint) and bound methods (by name and object).
    Anything else goes through `plain`, when given (a value of a type it knows → plain data),
    or is `Unfingerprintable`: whoever asked does not cache.

    An object whose digest is known (an incident, by its file) is `name`d and then costs a
    lookup; `names` may be shared by many `Fingerprints` (results kept across builds). A frozen
    dataclass is digested once per `Fingerprints`.
    """

    def __init__(
        self,
        plain: Callable[[object], object] | None = None,
        names: dict[int, tuple[object, bytes]] | None = None,
    ) -> None:
        #: id → (the object, kept alive so the id stays its own; its digest).
        self._names = names if names is not None else {}
        self._memo: dict[int, tuple[object, bytes]] = {}
        self._plain = plain

    def name(self, value: object, digest: str) -> None:
        self._memo[id(value)] = (value, digest.encode())

    def digest(self, *values: object) -> str:
        hasher = hashlib.blake2b(digest_size=20)
        for value in values:
            self._feed(hasher, value)
        return hasher.hexdigest()

    def _feed(self, hasher: Any, value: object) -> None:
        kind = type(value)
        if kind is str:
            data = value.encode("utf-8", "surrogatepass")  # type: ignore[attr-defined]
            hasher.update(b"s%d:" % len(data))
            hasher.update(data)
            return
        if value is None or kind is int or kind is bool or kind is float:
            hasher.update(f"{kind.__name__}:{value!r};".encode())
            return
        known = self._memo.get(id(value)) or self._names.get(id(value))
        if known is not None and known[0] is value:
            hasher.update(b"K" + known[1])
        elif kind is bytes:
            hasher.update(b"b%d:" % len(value))  # type: ignore[arg-type]
            hasher.update(value)
        elif getattr(kind, "__dataclass_fields__", None) is not None:
            self._feed_dataclass(hasher, value)
        elif kind is list or kind is tuple:
            hasher.update(b"(%d" % len(value) if kind is tuple else b"[%d" % len(value))  # type: ignore[arg-type]
            for item in value:  # type: ignore[attr-defined]
                self._feed(hasher, item)
            hasher.update(b")")
        elif isinstance(
            value, (dt.date, dt.time, dt.timedelta, dt.tzinfo, PurePath, Decimal, enum.Enum)
        ):
            hasher.update(f"{kind.__module__}.{kind.__qualname__}:{value!r};".encode())
        elif isinstance(value, str):  # Markup and other str subclasses
            hasher.update(f"{kind.__qualname__}:".encode())
            self._feed(hasher, str(value))
        elif isinstance(value, Mapping):
            hasher.update(b"{%d" % len(value))
            for key, item in value.items():
                self._feed(hasher, key)
                self._feed(hasher, item)
            hasher.update(b"}")
        elif isinstance(value, (list, tuple)):
            self._feed(hasher, kind.__qualname__)
            self._feed(hasher, tuple(value))
        elif isinstance(value, (set, frozenset)):
            hasher.update(b"<%d" % len(value))
            for digest in sorted(self.digest(item) for item in value):
                hasher.update(digest.encode())
            hasher.update(b">")
        elif isinstance(value, (types.MethodType, types.BuiltinMethodType)) and not isinstance(
            getattr(value, "__self__", None), types.ModuleType
        ):
            hasher.update(f"method:{value.__qualname__};".encode())
            self._feed(hasher, value.__self__)
        elif isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
            name = f"{value.__module__}.{value.__qualname__}"
            if "<" in name:  # a lambda or a local function: its closure is not visible
                raise Unfingerprintable(name)
            hasher.update(f"function:{name};".encode())
        elif isinstance(value, types.ModuleType):
            hasher.update(f"module:{value.__name__};".encode())
        elif self._plain is not None and (plain := self._plain(value)) is not value:
            hasher.update(f"{kind.__module__}.{kind.__qualname__}:".encode())
            self._feed(hasher, plain)
        else:
            raise Unfingerprintable(f"{kind.__module__}.{kind.__qualname__}")

    def _feed_dataclass(self, hasher: Any, value: Any) -> None:
        kind = type(value)
        frozen = kind.__dataclass_params__.frozen
        target = hashlib.blake2b(digest_size=20) if frozen else hasher
        target.update(f"{kind.__module__}.{kind.__qualname__}(".encode())
        for name in field_names(kind):
            target.update(name.encode() + b"=")
            self._feed(target, getattr(value, name))
        target.update(b")")
        if frozen:
            digest = target.hexdigest()
            self.name(value, digest)
            hasher.update(b"K" + digest.encode())


def field_names(kind: type) -> tuple[str, ...]:
    """The dataclass's field names (`dataclasses.fields` is slow to call for every object)."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(item.name for item in dataclasses.fields(kind))
    return names


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def page_identity(page: RenderedPage) -> str:
    """A digest of everything a generated page hands to MkDocs: its Markdown and blocks.

    The placeholders carry the renderer's random nonce, new in every build: it is taken out,
    so a page rendered again from the same inputs has the same identity. Splitting at the
    nonce keeps the digest exact: author text cannot contain a nonce it never saw.
    """
    nonces = {match.group(1) for token in page.blocks if (match := _NONCE.match(token))}
    nonce = nonces.pop() if len(nonces) == 1 else None
    fingerprints = Fingerprints()

    def plain(text: str) -> object:
        return text.split(nonce) if nonce else text

    return fingerprints.digest(
        plain(page.markdown),
        [(plain(token), html) for token, html in page.blocks.items()],
    )


def _timed(render: Callable[[], RenderedPage]) -> tuple[RenderedPage, float]:
    """A page rendered, and the seconds it took (for `PlanCache.defer`)."""
    began = time.perf_counter()
    page = render()
    return page, time.perf_counter() - began


#: A page planned, to render with the others: its placeholder, key, rendering and place.
_PlannedPage = tuple[RenderedPage, str, Callable[[], RenderedPage], str]
#: A result `read_files` computed: the incident, the other arguments, the result.
_Precomputed = tuple[object, tuple[object, ...], object]


def _read_and_derive(
    path: Path, settings: Settings, roles: dict[str, str],
    derived: Sequence[tuple[Callable[..., object], tuple[object, ...]]],
) -> tuple[Incident | None, Sequence[Problem], list[object]]:
    """One file's load, and `function(incident, *arguments)` of each derived call (in a
    worker process: `PlanCache.read_files`)."""
    incident, problems = read_file(path, settings, roles)
    if incident is None:
        return None, problems, []
    return incident, problems, [function(incident, *arguments) for function, arguments in derived]


@dataclass
class _LoadedFile:
    """One postmortem file's load, and what besides its bytes it depended on."""

    incident: Incident | None
    problems: list[Problem]
    #: Resolved path of each evidence file it names → (size, mtime) then; None if missing.
    evidence: dict[str, tuple[int, int] | None] = field(default_factory=dict)
    #: The source folder's listing digest, when its evidence had a problem; else None.
    tree: str | None = None


@dataclass
class _PendingPage:
    """A page rendered by an earlier build, known by its identity; rendered when asked for."""

    key: str
    render: Callable[[], RenderedPage]


class PlanCache:
    """The plan cache of one audience's site (see the module docstring).

    `begin` starts a build, `save` ends it; in between `plan_site` asks for results through
    `read_file`, `name_incidents`, `result` and `renderer`, and the adapter asks for pages'
    `identity` and has the ones it builds `materialise`d.
    """

    def __init__(self, folder: Path, audience: str) -> None:
        self.path = folder / "build" / f"plan-{audience}.pickle"
        #: Jinja's compiled templates, for our page templates and the theme's alike.
        self.templates = CompiledTemplates(folder / "build" / "templates")
        self._files: dict[str, _LoadedFile] = {}
        #: key → (result, the digest of each frozen object in it by its place: `_parts`).
        self._results: dict[str, tuple[object, dict[str, str]]] = {}
        self._identities: dict[str, str] = {}
        self._pages: dict[str, RenderedPage] = {}  # in memory only
        self._read = False
        self._changed = False
        self._context = ""
        self._tree: str | None = None
        self._source_dir = Path()
        self._used: set[str] = set()
        self._loaded_by_source: dict[str, tuple[str, Incident]] = {}
        self._pending: dict[int, tuple[RenderedPage, _PendingPage]] = {}
        self._page_identities: dict[int, tuple[RenderedPage, str]] = {}
        #: Digests of the objects inside kept results (`_results`), once they were used.
        self._names: dict[int, tuple[object, bytes]] = {}
        self._named: set[str] = set()
        self.fingerprints = Fingerprints(names=self._names)
        self._deferrable: set[Callable[..., object]] = set()
        #: function → its last result (memory only), for a deferred computation meanwhile.
        self._latest: dict[Callable[..., object], object] = {}
        self._deferred: dict[str, tuple[Callable[..., object], tuple[object, ...]]] = {}
        #: A page's place (template and address) → its last rendering and how long it took.
        self._last_pages: dict[str, tuple[RenderedPage, float]] = {}
        self._deferred_pages: dict[str, tuple[Callable[[], RenderedPage], str]] = {}
        self._worker: threading.Thread | None = None
        #: While planning: the pages to render, all at once on every core (`_render_batch`),
        #: by id(placeholder), in the order planned; None: render a page when asked for.
        self._batch: dict[int, _PlannedPage] | None = None
        #: What `read_files` computes with each file it reads, and what it computed: (function,
        #: id(incident)) → (the incident, the other arguments, the result), until `result`.
        self._with_each: list[tuple[Callable[..., object], tuple[object, ...]]] = []
        self._precomputed: dict[tuple[Callable[..., object], int], _Precomputed] = {}

    # -- a build -----------------------------------------------------------------------

    def begin(self, settings: Settings, overrides_dir: Path | None) -> None:
        """Start planning a build with `settings`: everything every result depends on."""
        if self._worker is not None:  # results a rebuild deferred: this build uses them
            self._worker.join()
            self._worker = None
        if not self._read:
            self._read = True
            self._load()
        self.fingerprints = Fingerprints(names=self._names)
        self._deferred = {}
        self._deferred_pages = {}
        self._used = set()
        self._with_each, self._precomputed = [], {}
        self._batch = {}
        self._tree = None
        self._source_dir = settings.source_dir
        self._loaded_by_source = {}
        self._pending = {}
        self._page_identities = {}
        self._context = self.fingerprints.digest(
            CACHE_VERSION,
            package_fingerprint(),
            sys.version,
            dt.date.today(),
            settings,
            folder_contents(TEMPLATES),
            folder_contents(overrides_dir / OVERRIDES_SUBDIR) if overrides_dir else None,
            _side_files(settings.source_dir),
        )

    def save(self) -> None:
        """Write what this build used, when it computed anything new; keep nothing else."""
        used = self._used
        stale = (set(self._files) | set(self._results) | set(self._identities)) - used
        if not used or (not self._changed and not stale):
            return  # no build planned (it failed first), or nothing new
        self._files = {key: value for key, value in self._files.items() if key in used}
        self._results = {key: value for key, value in self._results.items() if key in used}
        self._identities = {key: value for key, value in self._identities.items() if key in used}
        self._pages = {key: value for key, value in self._pages.items() if key in used}
        self._names.clear()  # named again when next used
        self._named.clear()
        self._changed = False
        state = {
            "version": CACHE_VERSION,
            "code": package_fingerprint(),
            "files": self._files,
            "results": self._results,
            "identities": self._identities,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "wb", dir=self.path.parent, prefix=f".{self.path.name}.", delete=False
            ) as handle:
                pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, self.path)
        except OSError as error:  # a cache: the build goes on, the next one computes again
            log.debug(f"cannot write the build cache {self.path}: {error}")
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(handle.name)

    def _load(self) -> None:
        try:
            with self.path.open("rb") as handle:
                state = pickle.load(handle)
            if state["version"] != CACHE_VERSION or state["code"] != package_fingerprint():
                return
            self._files, self._results = state["files"], state["results"]
            self._identities = state["identities"]
        except FileNotFoundError:
            return
        except Exception as error:  # any damage: start from nothing
            log.debug(f"ignoring the build cache {self.path}: {error}")

    # -- loading -----------------------------------------------------------------------

    def with_each_file(self, function: Callable[..., object], *arguments: object) -> None:
        """Have `read_files` also compute `function(incident, *arguments)` for each file it
        reads, where it reads it (`workers.py`): `result` then finds it computed."""
        self._with_each.append((function, arguments))

    def read_files(
        self, paths: Sequence[Path], settings: Settings, roles: dict[str, str]
    ) -> list[FileRead]:
        """`core.knowledge_base.read_files`, reusing each load while the file and its inputs
        are unchanged; the others are read on every core, with `with_each_file`'s results."""
        looked_up = [self._look_up(path, settings, roles) for path in paths]
        to_read: list[tuple[Path, str, bytes]] = []
        for path, (key, data, loaded) in zip(paths, looked_up, strict=True):
            if loaded is None and data is not None:
                to_read.append((path, key, data))
        derived, self._with_each = tuple(self._with_each), []
        read = map_calls([(_read_and_derive, (path, settings, roles, derived))
                          for path, _, _ in to_read])
        fresh = {}
        for (path, key, data), (incident, problems, results) in zip(to_read, read, strict=True):
            fresh[key] = self._keep_file(path, key, data, incident, problems)
            if incident is None:
                continue
            for (function, arguments), value in zip(derived, results, strict=True):
                self._precomputed[(function, id(incident))] = (incident, arguments, value)
        reads: list[FileRead] = []
        for path, (key, data, loaded) in zip(paths, looked_up, strict=True):
            if data is None:  # unreadable: says why, as an uncached load would
                reads.append(read_file(path, settings, roles))
                continue
            loaded = loaded or fresh[key]
            self._used.add(key)
            if loaded.incident is not None:
                self._loaded_by_source[loaded.incident.source] = (key, loaded.incident)
            reads.append((loaded.incident, list(loaded.problems)))
        return reads

    def _look_up(
        self, path: Path, settings: Settings, roles: dict[str, str]
    ) -> tuple[str, bytes | None, _LoadedFile | None]:
        """A file's key, its bytes (None: unreadable) and its load, if one is still valid."""
        try:
            data = path.read_bytes()
        except OSError:
            return "", None, None
        key = self.fingerprints.digest("file", self._context, str(path), roles, data)
        loaded = self._files.get(key)
        return key, data, loaded if loaded is not None and self._still_valid(loaded) else None

    def _keep_file(
        self, path: Path, key: str, data: bytes, incident: Incident | None,
        problems: Sequence[Problem],
    ) -> _LoadedFile:
        """A fresh load, kept for the next build unless the file changed while it was read."""
        loaded = _LoadedFile(incident, list(problems))
        if incident is not None:
            loaded.evidence = self._evidence_states(path, incident)
        if any("evidence" in problem.field for problem in problems):
            loaded.tree = self._tree_digest()
        with contextlib.suppress(OSError):
            if path.read_bytes() == data:
                self._files[key] = loaded
                self._changed = True
        return loaded

    def name_incidents(self, kb: KnowledgeBase) -> None:
        """Give each valid incident its key: its file's, and any field the cross-file
        checks changed (a `related` id that names no incident is dropped)."""
        for incident in kb.incidents:
            file_key, loaded = self._loaded_by_source.get(incident.source, ("", None))
            if loaded is None:
                continue  # read without the cache: digested by content when used
            changed = [
                (name, getattr(incident, name))
                for name in field_names(type(incident))
                if getattr(incident, name) is not getattr(loaded, name)
            ]
            try:
                self.fingerprints.name(
                    incident, self.fingerprints.digest("incident", file_key, changed)
                )
            except Unfingerprintable:
                continue

    def _still_valid(self, loaded: _LoadedFile) -> bool:
        if loaded.tree is not None and loaded.tree != self._tree_digest():
            return False
        return all(_file_state(Path(path)) == state for path, state in loaded.evidence.items())

    def _evidence_states(self, path: Path, incident: Incident) -> dict[str, tuple[int, int] | None]:
        """Each evidence file's state, unless it changed so recently that a second change
        within the clock's resolution could keep its size and time: then none that matches,
        so the next build looks again (git's "racily clean" files)."""
        folder = path.parent.resolve()
        files = {os.path.realpath(folder / item.file) for item in incident.evidence if item.file}
        now = time.time_ns()
        states = {file: _file_state(Path(file)) for file in files}
        return {
            file: (-1, -1) if state and now - state[1] < RACY_NS else state
            for file, state in states.items()
        }

    def _tree_digest(self) -> str:
        """Every path under the source folder with its size and time (once per build)."""
        if self._tree is None:
            entries = []
            for folder, _, names in os.walk(self._source_dir):
                for name in names:
                    path = os.path.join(folder, name)
                    entries.append((path, _file_state(Path(path))))
            self._tree = self.fingerprints.digest(sorted(entries))
        return self._tree

    # -- results -----------------------------------------------------------------------

    def result(self, function: Callable[..., T], *arguments: object) -> T:
        """`function(*arguments)`, reused while every argument is equal: `function` must
        depend on its arguments alone. What it returns is named after its key, so digesting
        it later (a projection's incident in a page's context) is cheap."""
        try:
            key = self.fingerprints.digest("result", self._context, function, arguments)
        except Unfingerprintable:
            return function(*arguments)
        if key not in self._results and function in self._deferrable and function in self._latest:
            self._deferred[key] = (function, arguments)
            return self._latest[function]  # type: ignore[return-value]
        self._used.add(key)
        if key not in self._results:
            self._keep(key, self._computed_with_file(function, arguments))
        result, digests = self._results[key]
        self._latest[function] = result
        if key not in self._named:  # digesting a page's context that holds it costs a lookup
            self._named.add(key)
            for place, part in _parts(result):
                self._names[id(part)] = (part, digests[place].encode())
        return result  # type: ignore[return-value]

    def _computed_with_file(self, function: Callable[..., T], arguments: tuple[object, ...]) -> T:
        """`function(*arguments)`, as `read_files` computed it with the file when it can tell
        it is the same call: the same incident object, equal other arguments."""
        incident, *rest = arguments or (None,)
        done = self._precomputed.pop((function, id(incident)), None)
        if done is not None and done[0] is incident and list(done[1]) == rest:
            return done[2]  # type: ignore[return-value]
        return function(*arguments)

    def _keep(self, key: str, result: object) -> None:
        """Keep `result` with the digest of each frozen object in it, by content: an equal
        result computed from other arguments (an incident's unchanged findings after an edit
        elsewhere in its file) then leaves the keys of pages showing it as they were."""
        fingerprints = Fingerprints()
        self._results[key] = (
            result,
            {place: fingerprints.digest(part) for place, part in _parts(result)},
        )
        self._changed = True

    def name_plan(self, plan: object, pages: Mapping[str, RenderedPage]) -> None:
        """Name a finished plan (a dataclass) by everything in it, its `pages` by their
        identities: a function of the whole plan (the search box's index) is then kept and
        deferred like any result. The pages planned are rendered first (`_render_batch`)."""
        self._render_batch()
        fields = [(name, getattr(plan, name)) for name in field_names(type(plan))]
        self.fingerprints.name(
            plan,
            self.fingerprints.digest(
                "plan",
                [(name, value) for name, value in fields if value is not pages],
                {uri: self.identity(page) for uri, page in pages.items()},
            ),
        )

    def defer(self, *functions: Callable[..., object]) -> None:
        """Let a build take these functions' last results where their arguments changed, and
        the last rendering of a page that is slow to render, and compute the new ones after it
        (`revalidate`)."""
        self._deferrable = set(functions)

    def revalidate(self, then: Callable[[], None]) -> bool:
        """Compute what this build deferred, in a thread, then call `then` (which has the site
        built again with it). False when nothing was deferred."""
        deferred, self._deferred = self._deferred, {}
        pages, self._deferred_pages = self._deferred_pages, {}
        if not deferred and not pages:
            return False

        def compute() -> None:
            for key, (function, arguments) in deferred.items():
                try:
                    result = function(*arguments)
                except Exception as error:  # the next build computes it, and reports it
                    log.debug(f"deferred {function.__qualname__} failed: {error}")
                    self._deferrable.discard(function)
                    continue
                self._keep(key, result)
                self._latest[function] = result
            for key, (render, place) in pages.items():
                try:
                    self._keep_page(*_timed(render), key=key, place=place)
                except Exception as error:
                    log.debug(f"deferred page {place} failed: {error}")
                    self._last_pages.pop(place, None)  # rendered during the next build
            then()

        self._worker = threading.Thread(target=compute, name="pmkb-revalidate", daemon=True)
        self._worker.start()
        return True

    # -- pages -------------------------------------------------------------------------

    def renderer(
        self, overrides_dir: Path | None, *, internal: bool, directory_urls: bool
    ) -> PageRenderer:
        return CachingRenderer(
            self, overrides_dir, internal=internal, directory_urls=directory_urls
        )

    def page(self, key: str, render: Callable[[], RenderedPage], place: str) -> RenderedPage:
        """The page rendered from the inputs `key` digests: from memory, else a placeholder
        when an earlier build recorded its identity, else rendered now. When pages may be
        deferred, a page that took long to render last time at `place` (its template and
        address: the list of every incident, the problems page) is that last one for now."""
        self._used.add(key)
        page = self._pages.get(key)
        if page is not None:
            self._page_identities[id(page)] = (page, self._identities[key])
            return page
        identity = self._identities.get(key)
        if identity is not None:
            placeholder = RenderedPage("")
            self._pending[id(placeholder)] = (placeholder, _PendingPage(key, render))
            self._page_identities[id(placeholder)] = (placeholder, identity)
            return placeholder
        last = self._last_pages.get(place)
        if self._deferrable and last is not None and last[1] >= SLOW_PAGE_SECONDS:
            self._deferred_pages[key] = (render, place)
            return last[0]
        if self._batch is not None:
            placeholder = RenderedPage("")
            self._batch[id(placeholder)] = (placeholder, key, render, place)
            return placeholder
        page, seconds = _timed(render)
        self._keep_page(page, seconds, key=key, place=place)
        return page

    def _render_batch(self) -> None:
        """Render the pages planned since `begin`, in worker processes forked now, which
        have every page's context already (`workers.py`; in this process when they cannot).
        A page's rendering depends on its context alone, like every result here."""
        batch, self._batch = list((self._batch or {}).values()), None
        rendered = map_forked(_timed, [render for _, _, render, _ in batch])
        for (placeholder, key, _, place), (page, seconds) in zip(batch, rendered, strict=True):
            placeholder.markdown, placeholder.blocks = page.markdown, page.blocks
            self._keep_page(placeholder, seconds, key=key, place=place)

    def _keep_page(self, page: RenderedPage, seconds: float, *, key: str, place: str) -> None:
        self._last_pages[place] = (page, seconds)
        self._pages[key] = page
        self._identities[key] = self.identity(page)
        self._changed = True

    def identity(self, page: RenderedPage) -> str:
        """The page's `page_identity`, without rendering a placeholder."""
        if self._batch and id(page) in self._batch:
            self._render_batch()  # asked for before the plan was done: render the pages now
        known = self._page_identities.get(id(page))
        if known is not None and known[0] is page:
            return known[1]
        identity = page_identity(page)
        self._page_identities[id(page)] = (page, identity)
        return identity

    def materialise(self, page: RenderedPage) -> RenderedPage:
        """Fill in a placeholder `page` from its template; any other page is returned as is."""
        if self._batch and id(page) in self._batch:
            self._render_batch()
        pending = self._pending.pop(id(page), None)
        if pending is None or pending[0] is not page:
            return page
        rendered = pending[1].render()
        page.markdown, page.blocks = rendered.markdown, rendered.blocks
        self._pages[pending[1].key] = page
        identity = page_identity(page)
        if identity != self._identities.get(pending[1].key):
            log.debug(f"build cache: a page rendered differently from last time ({identity})")
            self._identities[pending[1].key] = identity
            self._changed = True
        self._page_identities[id(page)] = (page, identity)
        return page

    def let_go(self, page: RenderedPage) -> None:
        """Drop `page`'s HTML blocks, once the caller has put them in the page's HTML: a
        build that runs once (not the live preview) needs nothing else of them, and at
        thousands of pages they are a good part of its peak memory. The pages kept in memory
        for a next build are forgotten with them, or that build would take this one without
        its blocks; it renders again those it needs (`materialise`), as a new process does.
        Its identity stays known (`identity`)."""
        self._pages.clear()
        self._last_pages.clear()
        page.blocks = {}


class CachingRenderer(PageRenderer):
    """A `PageRenderer` that renders a page only when its inputs are new (`PlanCache.page`)."""

    def __init__(
        self,
        cache: PlanCache,
        overrides_dir: Path | None,
        *,
        internal: bool,
        directory_urls: bool,
    ) -> None:
        super().__init__(overrides_dir, internal=internal, directory_urls=directory_urls)
        self.env.bytecode_cache = self.html_env.bytecode_cache = cache.templates
        self._cache = cache
        self._options = (str(overrides_dir), internal, directory_urls)

    def render(self, template: str, page_uri: str, **context: Any) -> RenderedPage:
        cache = self._cache
        try:
            key = cache.fingerprints.digest(
                "page", cache._context, self._options, template, page_uri, context
            )
        except Unfingerprintable:
            return PageRenderer.render(self, template, page_uri, **context)
        return cache.page(
            key,
            lambda: PageRenderer.render(self, template, page_uri, **context),
            f"{template} {page_uri}",
        )


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja templates compiled by an earlier build, under `cache_dir/build/templates/`.

    Compiling the theme's and our templates again took a good part of every rebuild in the
    live preview. Jinja checks each entry against the template's source; the key also covers
    the environment's options (a template compiles differently with autoescape on or off),
    Jinja's and Python's versions. A folder that cannot be written only means compiling again.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder))
        self._folder = folder

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        key = hashlib.sha1(
            "\0".join([_environment_options(environment), name, filename or ""]).encode()
        ).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError as error:  # a cache folder that is not one: compile
            log.debug(f"cannot read a compiled template in {self._folder}: {error}")

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError as error:
            log.debug(f"cannot keep a compiled template in {self._folder}: {error}")


def _environment_options(environment: jinja2.Environment) -> str:
    """Everything about a Jinja environment that changes how it compiles a template."""
    env = environment
    return repr(
        [
            jinja2.__version__,
            sys.version,
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            env.optimized,
            env.is_async,
            sorted(env.extensions),
            _callable_name(env.autoescape),
            _callable_name(env.finalize),
        ]
    )


def _callable_name(value: object) -> str:
    """A function by its name; a local one (a closure) by its identity, valid in one process."""
    if not callable(value):
        return repr(value)
    name = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
    return repr(value) if "<" in name or name == "." else name


def _parts(value: object, place: str = "", depth: int = 2) -> Iterator[tuple[str, object]]:
    """The frozen dataclasses in a result, each with its place in it: the result itself, and
    down to `depth` levels of their fields and of lists and tuples (a projection's incident,
    a finding). Nothing changes those later, so a digest of one stays right."""
    if _is_frozen(value):
        yield place, value
        children = [(name, getattr(value, name)) for name in field_names(type(value))]
    elif isinstance(value, (list, tuple)):
        children = [(str(index), item) for index, item in enumerate(value)]
    else:
        return
    if depth > 0:
        for name, child in children:
            yield from _parts(child, f"{place}/{name}", depth - 1)


def _is_frozen(value: object) -> bool:
    params = getattr(type(value), "__dataclass_params__", None)
    return params is not None and params.frozen and not isinstance(value, type)


def _file_state(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def folder_contents(folder: Path) -> Sequence[tuple[str, bytes]]:
    """Every file under `folder` (templates) with its content; empty if there is none."""
    if not folder.is_dir():
        return ()
    return sorted(
        (path.relative_to(folder).as_posix(), path.read_bytes())
        for path in folder.rglob("*")
        if path.is_file()
    )


def _side_files(source_dir: Path) -> Sequence[tuple[str, bytes]]:
    """The top-level `_*.yml` files (roles, gallery, paths …): every file may depend on them."""
    if not source_dir.is_dir():
        return ()
    return sorted(
        (path.name, path.read_bytes())
        for path in source_dir.iterdir()
        if path.name.startswith("_") and path.suffix in (".yml", ".yaml") and path.is_file()
    )
