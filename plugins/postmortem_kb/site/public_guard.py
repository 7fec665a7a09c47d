"""Run the leak guard over public output: a built site or one exported document.

Both the MkDocs plugin and `pmkb export` call `find_public_leaks`, so a document handed to
a customer passes exactly the check a public site does.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from ..public.deny import Leak
from ..public.private_strings import collect_private_strings
from ..public.scan import scan_site
from .plan import SitePlan


def find_public_leaks(
    plan: SitePlan, output_dir: Path, hand_written: Iterable[str] = ()
) -> list[Leak]:
    """Every deny-pattern match and private string in the files under `output_dir`.

    `hand_written` is public text that is not an incident (the site's own pages and name):
    strings that occur in it are public on purpose and not counted as leaks. The `allow`
    option, the `contact` and the site's own address (`site_url`: the theme writes it into
    every page's canonical link; `mkdocs serve` sets it to the local preview address) are
    values a deny pattern may match; a private string stays a leak even so.
    """
    settings = plan.settings
    public_names = [*hand_written, settings.site_name, settings.site_description,
                    *settings.public_tags, *settings.severities, *plan.public_texts]
    private = collect_private_strings(
        plan.kb.incidents, plan.view.public.values(), also_public=public_names
    )
    contact = [settings.contact.text] if settings.contact else []
    allow = [*settings.allow, *contact, *_site_address(settings.site_url)]
    return scan_site(output_dir, settings.deny, private, allow=allow)


def _site_address(site_url: str | None) -> list[str]:
    """The host of the site's own URL, with and without its port (`127.0.0.1:8001`)."""
    if not site_url:
        return []
    parts = urlsplit(site_url)
    return [value for value in (parts.hostname, parts.netloc) if value]
