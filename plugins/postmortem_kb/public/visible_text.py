"""What a reader sees of a text: no invisible characters, and NFKC.

The leak scan matches on it and the projection looks for internal-markup look-alikes in it, so
a zero-width space or a bidi mark can hide neither an address from the scan nor a `:::` from
the projection.
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
import unicodedata

#: Invisible characters that are not format characters: the rest of Unicode's default-ignorable
#: code points (combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian
#: and other variation selectors). A regex character class.
_OTHER_IGNORABLE = (
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u3164\ufe00-\ufe0f\uffa0"
    "\U000e0100-\U000e01ef"
)


@functools.cache
def _invisible_characters() -> re.Pattern[str]:
    """Every format character (category Cf) of this Python's Unicode, and `_OTHER_IGNORABLE`.

    Derived from `unicodedata` rather than listed, so a format character added to Unicode is
    removed too; built on first use (a tenth of a second), not when MkDocs loads the plugin.
    Written as ranges: a class of single characters beyond the BMP makes the regex ten times
    slower.
    """
    code_points = (
        code for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"
    )
    ranges = []
    for _, run in itertools.groupby(enumerate(code_points), lambda item: item[1] - item[0]):
        codes = [code for _, code in run]
        ranges.append(f"{re.escape(chr(codes[0]))}-{re.escape(chr(codes[-1]))}")
    return re.compile(f"[{''.join(ranges)}{_OTHER_IGNORABLE}]")


def visible_nfkc(text: str) -> str:
    """The text without invisible characters, then NFKC (so it composes what they kept apart).

    What a reader sees: the leak scan matches on it, and the projection reads public text
    through it for look-alikes of internal markup.
    """
    return unicodedata.normalize("NFKC", _invisible_characters().sub("", text))
