"""The leak guard against the spellings that used to get past it: every text is normalised
before it is matched (NFKC, no invisible characters), address candidates are decided by
`ipaddress`, credentials are found whole, and `allow` exempts a deny-pattern match but never a
private string. A clean site, and the example knowledge base, still pass."""

from __future__ import annotations

import base64
import json
import shutil
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from mkdocs.config import load_config

from postmortem_kb.core.settings import settings_from_config
from postmortem_kb.public.deny import Leak, normalise
from postmortem_kb.public.scan import REDACTED, scan_site
from site_builder import REPO_ROOT, build_site, copy_kb
from test_leakguard import NO_VENDORED, PRIVATE, SECRET, make_site, page, scan
from test_options import config_file

LEAKY_KB = Path(__file__).parent / "fixtures" / "leaky_kb"


def kinds(leaks: list[Leak]) -> set[str]:
    return {leak.kind for leak in leaks}


def shows_part_of(value: str, leaks: list[Leak]) -> bool:
    """Whether any report shows 8 characters in a row of `value` (as normalised)."""
    value = normalise(value)
    parts = {value[start : start + 8] for start in range(len(value) - 7)}
    return any(part in str(leak) for leak in leaks for part in parts)


class TestNormalisation:
    @pytest.mark.parametrize(
        "char",
        [
            *("\u00ad", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e"),
            *("\u2060", "\u2066", "\u2069", "\ufeff", "\U000e0001", "\U000e0020", "\ufe0f"),
        ],
    )
    def test_an_invisible_character_is_removed(self, char: str) -> None:
        assert normalise(f"10.0.{char}0.1") == "10.0.0.1"

    def test_every_format_character_is_removed(self) -> None:
        format_characters = "".join(
            char
            for char in map(chr, range(sys.maxunicode + 1))
            if unicodedata.category(char) == "Cf"
        )
        assert len(format_characters) > 150
        assert normalise(f"a{format_characters}b") == "ab"

    def test_look_alikes_become_what_they_show(self) -> None:
        assert normalise("\uff11\uff10\uff0e\uff10\uff0e\uff10\uff0e\uff11") == "10.0.0.1"
        assert normalise("ops\uff20corp.example") == "ops@corp.example"

    def test_removal_comes_before_composition(self) -> None:
        # A format character between a letter and its accent must not keep them apart.
        assert normalise("cafe\u200b\u0301") == "caf\u00e9"


class TestEvasions:
    """Each spelling that once got past the scan, in a page; one leak, its value masked."""

    @pytest.mark.parametrize(
        ("text", "kind", "hidden"),
        [
            pytest.param("ops@mailhost", "e-mail address", "mailhost", id="email-dotless"),
            pytest.param("ops@b\u00fccher.example", "e-mail address", "cher.ex", id="email-idn"),
            pytest.param(
                "\u03b4\u03bf\u03ba\u03b9\u03bc\u03ae@\u03c0\u03b1\u03c1\u03ac.example",
                "e-mail address",
                "\u03b4\u03bf\u03ba",
                id="email-unicode-local-part",
            ),
            pytest.param(
                "ops@\u200bexample.com", "e-mail address", "example.com", id="email-zero-width"
            ),
            pytest.param(
                "ops\u2060@corp.example", "e-mail address", "corp.example", id="email-word-joiner"
            ),
            pytest.param(
                "ops\uff20corp.example", "e-mail address", "corp.example", id="email-fullwidth-at"
            ),
            pytest.param("010.000.000.001", "RFC 1918 address", "000.000", id="ipv4-zero-padded"),
            pytest.param(
                "192.168.001.010", "RFC 1918 address", "168.001", id="ipv4-some-zero-padded"
            ),
            pytest.param("10.0.0.\u200e1", "RFC 1918 address", "10.0.0", id="ipv4-bidi-mark"),
            pytest.param("10.0.\u202e0.1", "RFC 1918 address", "10.0", id="ipv4-bidi-override"),
            pytest.param("\ufeff172.16.5.4", "RFC 1918 address", "16.5", id="ipv4-bom"),
            pytest.param(
                "10.20.&#x200b;30.40", "RFC 1918 address", "20.30", id="ipv4-entity-zero-width"
            ),
            pytest.param(
                "10.0.\U000e00200.1", "RFC 1918 address", "10.0", id="ipv4-astral-tag-character"
            ),
            pytest.param(
                "\uff11\uff10.\uff10.\uff10.\uff11", "RFC 1918 address", "10.0", id="ipv4-fullwidth"
            ),
            pytest.param("10.0.0.1:8080", "RFC 1918 address", "10.0.0.1", id="ipv4-port"),
            pytest.param(
                "http://192.168.0.10:8443/admin", "RFC 1918 address", "168.0", id="ipv4-in-url"
            ),
            pytest.param("10.0.0.0/8", "RFC 1918 address", "10.0.0.0", id="ipv4-cidr"),
        ],
    )
    def test_the_spelling_is_found(self, tmp_path: Path, text: str, kind: str, hidden: str) -> None:
        [leak] = scan(tmp_path, {"index.html": page(f"<p>Ask {text} today.</p>")})
        assert leak.kind == f"deny pattern {kind}"
        assert REDACTED in leak.excerpt_redacted
        report = str(leak)
        assert hidden not in report and normalise(text) not in report

    @pytest.mark.parametrize(
        "spelling",
        [
            "db-primary\u200b-eu7.corp",
            "db-primary-eu7\u200e.corp",
            "\ufeffdb-primary-eu7.corp",
            "\uff44\uff42-primary-eu7.corp",
        ],
    )
    def test_a_private_string_is_found_through_invisible_characters(
        self, tmp_path: Path, spelling: str
    ) -> None:
        [leak] = scan(tmp_path, {"index.html": page(f"<p>{spelling}</p>")})
        assert leak.kind == PRIVATE[SECRET]
        assert "primary" not in str(leak)

    def test_a_private_string_written_with_invisible_characters_is_found(
        self, tmp_path: Path
    ) -> None:
        private = {"db-prim\u200bary-eu7.corp": "private field services of x.md"}
        site = make_site(tmp_path, {"index.html": page(f"<p>{SECRET}</p>")})
        [leak] = scan_site(site, [], private, vendored=NO_VENDORED)
        assert leak.kind == "private field services of x.md"


class TestInternalAddressRanges:
    @pytest.mark.parametrize(
        ("written", "kind", "hidden"),
        [
            ("100.64.0.1", "shared (CGNAT) address", "64.0"),
            ("100.127.255.254", "shared (CGNAT) address", "255.254"),
            ("169.254.169.254", "link-local address", "254.169"),
            ("169.254.0.1", "link-local address", "254.0"),
            ("127.0.0.1", "loopback address", "127.0"),
            ("127.10.20.30", "loopback address", "20.30"),
            ("fd12:3456:789a::1", "unique local IPv6 address", "3456"),
            ("fc00::1", "unique local IPv6 address", "fc00"),
            ("FD00:0:0:0:0:0:0:1", "unique local IPv6 address", "FD00"),
            ("[fd00::1]:8443", "unique local IPv6 address", "fd00"),
            ("fe80::1", "link-local address", "fe80"),
            ("fe80::1%eth0", "link-local address", "fe80"),
            ("[fe80::1%25eth0]:8080", "link-local address", "fe80"),
            ("fe80:0000:0000:0000:0202:b3ff:fe1e:8329", "link-local address", "b3ff"),
            ("::ffff:a00:1", "RFC 1918 address", "a00"),
        ],
    )
    def test_the_range_is_found(self, tmp_path: Path, written: str, kind: str, hidden: str) -> None:
        leaks = scan(tmp_path, {"index.html": page(f"<p>Host {written} went down.</p>")})
        assert kinds(leaks) == {f"deny pattern {kind}"}
        assert all(hidden.lower() not in str(leak).lower() for leak in leaks)


def jwt() -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': '42'})}.SflKxwRJSMeKKF2QT4fw"


def pem(label: str, *, ended: bool = True) -> str:
    body = "\n".join(["MIIEowIBAAKCAQEA7bq98" + "Qx" * 20] * 3)
    end = f"\n-----END {label}-----" if ended else ""
    return f"-----BEGIN {label}-----\n{body}{end}"


# Built from pieces: a credential-shaped literal in the repository would trip secret scanners.
CREDENTIALS = [
    pytest.param("AWS access key id", "AKIA" + "IOSFODNN7" + "EXAMPLE", id="aws-akia"),
    pytest.param("AWS access key id", "ASIA" + "Y34FZKBOKMUTVV7A", id="aws-asia"),
    pytest.param("GitHub token", "ghp" + "_" + "x1Y2z3" * 6, id="github-classic"),
    pytest.param("GitHub token", "gho" + "_" + "Ab12" * 9, id="github-oauth"),
    pytest.param(
        "GitHub token", "github" + "_pat_" + "11ABCDEFGH0123456789ab_" + "c" * 59, id="github-pat"
    ),
    pytest.param("GitLab token", "glpat" + "-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn", id="gitlab"),
    pytest.param(
        "Slack token", "xoxb" + "-123456789012-1234567890123-" + "AbCdEfGh" * 3, id="slack"
    ),
    pytest.param(
        "Slack webhook",
        "https://hooks.slack.com/services/" + "T0AAAAAAA/B0BBBBBBB/" + "Xy1" * 8,
        id="slack-webhook",
    ),
    pytest.param("Stripe secret key", "sk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc", id="stripe"),
    pytest.param("Google API key", "AI" + "za" + "SyA" + "q1W2e3R4" * 4, id="google-api-key"),
    pytest.param("JSON Web Token", jwt(), id="jwt"),
    pytest.param("private key", pem("RSA PRIVATE KEY"), id="pem-rsa"),
    pytest.param("private key", pem("OPENSSH PRIVATE KEY"), id="pem-openssh"),
    pytest.param("private key", pem("PRIVATE KEY", ended=False), id="pem-pkcs8-truncated"),
    pytest.param("private key", pem("PGP PRIVATE KEY BLOCK"), id="pgp"),
]


class TestCredentials:
    @pytest.mark.parametrize(("kind", "credential"), CREDENTIALS)
    @pytest.mark.parametrize(
        ("name", "wrap"),
        [
            ("incidents/a/index.html", lambda value: page(f"<pre><code>{value}</code></pre>")),
            ("assets/extra.js", lambda value: f"const config = {json.dumps(value)};\n"),
            ("assets/extra.css", lambda value: f"/* {value} */\nbody {{ color: red }}\n"),
        ],
        ids=["html-code-block", "javascript", "css"],
    )
    def test_the_credential_is_found_everywhere(
        self,
        tmp_path: Path,
        kind: str,
        credential: str,
        name: str,
        wrap: Callable[[str], str],
    ) -> None:
        leaks = scan(tmp_path, {name: wrap(credential)})
        assert kinds(leaks) == {f"deny pattern {kind}"}
        assert not shows_part_of(credential, leaks)

    @pytest.mark.parametrize(
        "text",
        [
            "rotate the private key and the API key every 90 days",
            "BEGIN RSA PRIVATE KEY, without its dashes, is only words",
            "a test key sk" + "_test_" + "4eC39HqLyjWDarjtT1zdp7dc",
            "a short ghp" + "_abc and eyJhbGciOi alone",
            "data:application/octet-stream;base64,QUFBQUFB" + "AKIASIAIAFBASAAKAIAE" + "QUFBQUFB",
        ],
    )
    def test_near_misses_are_not_credentials(self, tmp_path: Path, text: str) -> None:
        assert scan(tmp_path, {"index.html": page(f"<p>{text}</p>")}) == []


class TestCleanSitesStayClean:
    @pytest.mark.parametrize(
        "text",
        [
            "Python 3.11.7, mkdocs 1.6.1, build 10.1.2.3.4, version 1.10.2.3",
            "On 2024-03-05, 05.03.2024 and 2024.03.05 at 12:30:45 (10:00:00 UTC)",
            "public resolvers 8.8.8.8, 1.1.1.1 and 2001:4860:4860::8888",
            "documentation ranges 192.0.2.1, 198.51.100.7, 203.0.113.9 and 2001:db8::1",
            "just outside: 172.32.0.1, 100.128.0.1, 169.255.0.1, 128.0.0.1, fec0::1, fbff::1",
            '<img src="logo@2x.png" srcset="icon@2x.webp 2x, icon@3x 3x" alt="Logo">',
            "<code>npm i pkg@1.2.3</code> <code>uses: actions/checkout@v4</code>",
            "<code>pip install git+https://git.example/repo.git@f82a36b</code>",
            "<style>@media print { a::before { content: '' } }</style>",
            "<code>x[::1]</code>, <code>std::vector</code> and a ? b : c",
            "see https://social.example/@someone",
        ],
    )
    def test_ordinary_site_text_is_not_a_leak(self, tmp_path: Path, text: str) -> None:
        assert scan(tmp_path, {"index.html": page(f"<p>{text}</p>")}) == []

    def test_ordinary_stylesheets_and_scripts_are_not_leaks(self, tmp_path: Path) -> None:
        files: dict[str, str | bytes] = {
            "assets/site.css": (
                "@import url(x.css); @media (max-width: 1px) { a::after { b: c } }"
                ".logo{background:url(logo@2x.png)}@font-face{font-family:x}"
            ),
            "assets/site.js": (
                "import x from '@scope/pkg'; const t = a ? b : c; /** @license MIT */"
                "const v = '1.2.3.4'; const host = '8.8.8.8';"
            ),
        }
        assert scan(tmp_path, files) == []

    def test_the_example_public_site_passes_with_its_e_mail_contact(
        self, example_sites: dict[str, Path]
    ) -> None:
        # Its build ran the guard; the contact it shows is an e-mail address, allowed.
        loaded = load_config(config_file=str(REPO_ROOT / "mkdocs.public.yml"))
        contact = settings_from_config(loaded.plugins["postmortems"].config, loaded).contact
        assert contact is not None and contact.is_email
        home = (example_sites["public"] / "index.html").read_text(encoding="utf-8")
        assert f'href="mailto:{contact.text}"' in home
        assert scan_site(example_sites["public"], [], {}, allow=[contact.text]) == []
        control = kinds(scan_site(example_sites["public"], [], {}))
        assert control == {"deny pattern e-mail address"}  # without the allowance


class TestReportsNeverShowAValue:
    def test_a_value_cut_by_the_excerpt_window_is_masked_as_far_as_it_shows(
        self, tmp_path: Path
    ) -> None:
        token = jwt()
        leaks = scan(tmp_path, {"index.html": page(f"<p>mail ops@corp.example {token}</p>")})
        assert kinds(leaks) == {"deny pattern e-mail address", "deny pattern JSON Web Token"}
        assert not shows_part_of(token, leaks)

    def test_a_handle_beside_an_address_is_masked_in_every_reading(self, tmp_path: Path) -> None:
        leaks = scan(tmp_path, {"index.html": page("<p>ask @carol at 10.1.1.1</p>")})
        assert kinds(leaks) == {
            "deny pattern unresolved @handle",
            "deny pattern RFC 1918 address",
        }
        assert all("carol" not in str(leak) for leak in leaks)


class TestAllow:
    TEXT = "<p>Write to support@acme.example, not ops@acme.example.</p>"

    def scan(
        self, root: Path, text: str, allow: list[str], private: dict[str, str] | None = None
    ) -> list[Leak]:
        site = make_site(root, {"index.html": page(text)})
        return scan_site(site, [r"ACME-\d+"], private or {}, allow=allow, vendored=NO_VENDORED)

    def test_an_allowed_value_is_no_leak_and_is_shown(self, tmp_path: Path) -> None:
        [leak] = self.scan(tmp_path, self.TEXT, ["Support@ACME.example"])
        assert leak.kind == "deny pattern e-mail address"
        assert "support@acme.example" in leak.excerpt_redacted
        assert "ops@acme" not in str(leak)

    def test_without_allow_both_are_leaks(self, tmp_path: Path) -> None:
        assert len(self.scan(tmp_path, self.TEXT, [])) == 2

    @pytest.mark.parametrize(
        "text", ["xsupport@acme.example", "support@acme.example.org", "support@acme.examples"]
    )
    def test_only_the_whole_value_is_allowed(self, tmp_path: Path, text: str) -> None:
        leaks = self.scan(tmp_path, f"<p>{text}</p>", ["support@acme.example"])
        assert kinds(leaks) == {"deny pattern e-mail address"}

    def test_a_configured_pattern_is_exempted_too(self, tmp_path: Path) -> None:
        [leak] = self.scan(tmp_path, "<p>Ticket ACME-42 and ACME-43</p>", ["ACME-42"])
        assert leak.kind == r"deny pattern ACME-\d+"
        assert "ACME-42" in leak.excerpt_redacted and "ACME-43" not in leak.excerpt_redacted

    def test_an_allowed_value_that_is_private_is_still_a_leak(self, tmp_path: Path) -> None:
        private = {"support@acme.example": "private field links of postmortems/x.md"}
        leaks = self.scan(
            tmp_path, "<p>Write to support@acme.example.</p>", ["support@acme.example"], private
        )
        assert kinds(leaks) == {"private field links of postmortems/x.md"}
        assert all("support@" not in str(leak) for leak in leaks)

    def test_allow_is_an_option_that_becomes_a_setting(self, tmp_path: Path) -> None:
        path = config_file(tmp_path, allow=["support@acme.example"])
        loaded = load_config(config_file=str(path))
        settings = settings_from_config(loaded.plugins["postmortems"].config, loaded)
        assert settings.allow == ("support@acme.example",)

    def test_a_public_site_may_have_an_e_mail_contact(self, tmp_path: Path) -> None:
        path = config_file(tmp_path, audience="public", contact="status@acme.example")
        loaded = load_config(config_file=str(path))
        settings = settings_from_config(loaded.plugins["postmortems"].config, loaded)
        assert settings.contact is not None and settings.contact.is_email

    @pytest.mark.slow
    def test_a_public_build_with_an_allowed_address_passes(self, tmp_path: Path) -> None:
        kb = copy_kb(LEAKY_KB, tmp_path / "kb")
        index = kb / "docs" / "index.md"
        index.write_text(
            index.read_text(encoding="utf-8") + "\nWrite to support@leaky.example.\n",
            encoding="utf-8",
        )
        site = build_site(
            kb / "mkdocs.public.yml", tmp_path / "site", allow=["support@leaky.example"]
        )
        assert "support@leaky.example" in site.read("index.html")
        shutil.rmtree(site.site_dir)
        with pytest.raises(Exception, match="deny pattern e-mail address"):
            build_site(kb / "mkdocs.public.yml", tmp_path / "site")
