"""Import whoosh without the modules it imports for features this package never uses.

Importing whoosh took about 110 ms of CPU time, half of a warm `pmkb search`, and 45 ms of
it was not whoosh: `whoosh.compat` imports `urllib.request` (with it `http`, `email`, `ssl`
and OpenSSL) for a download helper nothing calls; `whoosh.reading` imports the
`cached_property` package, which imports `asyncio` for coroutines whoosh has none of, for one
property; and `whoosh.query.terms` imports the English morphology tables
(`whoosh.lang.morph_en`) for a `Variations` query this package never builds. While
`index.py` imports whoosh, `deferred_dependencies()` puts stand-ins for those three modules
in `sys.modules`:
- `cached_property.cached_property` is `functools.cached_property`, which does the same for a
  plain method;
- every other name of a stand-in is the real module's, imported when first used: a call of
  `urlretrieve` or `variations`, or a name a later whoosh takes that is not stood in here.
The stand-ins leave `sys.modules` when whoosh is imported, so anyone importing those modules
afterwards gets the real ones; a module already imported (MkDocs may have imported
`urllib.request`) is not stood in for.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any


class _StandIn(types.ModuleType):
    """A module whose names are the real module's, imported on first use."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # `__file__`, `__path__`, …: asked by tools, never by whoosh
            raise AttributeError(name)
        return getattr(self.real(), name)

    def real(self) -> types.ModuleType:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]  # or importing it would give this stand-in back
        return importlib.import_module(self.__name__)


def _stand_in(name: str, *deferred: str, **values: object) -> _StandIn:
    """A stand-in for the module `name`: `deferred` functions call the real module's."""
    module = _StandIn(name)

    def calling(function: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(module.real(), function)(*args, **kwargs)

        call.__name__ = call.__qualname__ = function
        return call

    for function in deferred:
        setattr(module, function, calling(function))
    for key, value in values.items():
        setattr(module, key, value)
    return module


def _stand_ins() -> list[_StandIn]:
    return [
        _stand_in("urllib.request", "urlretrieve"),
        _stand_in("cached_property", cached_property=functools.cached_property),
        _stand_in("whoosh.lang.morph_en", "variations"),
    ]


@contextlib.contextmanager
def deferred_dependencies() -> Iterator[None]:
    """Stand in for the modules above (those not imported yet) while whoosh is imported."""
    placed = [module for module in _stand_ins() if module.__name__ not in sys.modules]
    for module in placed:
        sys.modules[module.__name__] = module
    try:
        yield
    finally:
        for module in placed:
            if sys.modules.get(module.__name__) is module:
                del sys.modules[module.__name__]
