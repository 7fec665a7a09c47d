"""Plugin options validate themselves: a bad one is a configuration error when `mkdocs.yml`
is loaded (by MkDocs or by `pmkb`), naming the option, before any postmortem is read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from mkdocs.config import load_config

from postmortem_kb.cli import main
from postmortem_kb.core.settings import settings_from_config


def config_file(tmp_path: Path, **options: object) -> Path:
    path = tmp_path / "mkdocs.yml"
    (tmp_path / "docs").mkdir(exist_ok=True)
    config = {"site_name": "KB", "plugins": {"postmortems": options}}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("timezone", "Mars/Olympus", "'Mars/Olympus' is not a known time zone"),
        ("deny", ["(unclosed"], "is not a valid regular expression"),
        ("deny", ["x*"], "matches empty text"),
        ("build_date", "2024-13-01", "'2024-13-01' is not a date; expected YYYY-MM-DD"),
        ("title_pattern", "{title} on {day}", "unknown field 'day'; expected only {title}"),
        ("audience", "customers", "customers"),
        ("quality", {"blameless": {"phrases": ["(unclosed"]}}, "is not a valid regular expression"),
        ("quality", {"completeness": {"SEV-1": ["sumary"]}}, "sumary"),
        ("kpi_targets", {"mtbf": 4}, "unknown KPI mtbf"),
        ("ticket_url", "https://tracker.example.com/browse/", "expected an http(s) URL with one"),
        ("severity_aliases", {"p1": "SEV-9"}, "'SEV-9', which is not on the severity scale"),
        ("types", {"drill": {"listed": "everywhere"}}, "everywhere"),
    ],
)
def test_a_bad_option_fails_loading_and_names_the_option(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: object,
    expected: str,
) -> None:
    path = config_file(tmp_path, **{option: value})
    (tmp_path / "postmortems").mkdir()
    assert main(["-f", str(path), "check"]) == 1
    errors = capsys.readouterr().err
    [line] = [line for line in errors.splitlines() if expected in line]
    assert option in line
    assert f"pmkb: {path}: invalid configuration" in errors
    assert "Traceback" not in errors


def test_good_options_become_settings(tmp_path: Path) -> None:
    path = config_file(
        tmp_path,
        timezone="Europe/Berlin",
        deny=["ACME-[0-9]+"],
        build_date="2024-05-06",
        title_pattern="{severity}: {title}",
        public_tags=["DNS"],
        types={"near-miss": {"metrics": True}, "drill": {"listed": "own"}},
        kpi_targets={"mttr": 4, "follow_up_on_time": 0.8},
        ticket_url="https://tracker.example.com/browse/{ticket}",
        severity_aliases={"p1": "SEV-1"},
    )
    config = load_config(config_file=str(path))
    settings = settings_from_config(config.plugins["postmortems"].config, config)
    assert settings.timezone == "Europe/Berlin"
    assert settings.deny == ("ACME-[0-9]+",)
    assert settings.build_date == dt.date(2024, 5, 6)
    assert settings.page_title("T", dt.date(2024, 1, 1), "t", "SEV-1") == "SEV-1: T"
    assert settings.public_tags == ("dns",)
    assert settings.source_dir == (tmp_path / "postmortems").resolve()
    assert settings.cache_dir == (tmp_path / ".cache" / "pmkb").resolve()
    # A type given some keys keeps the defaults of the rest; a new type counts nowhere else.
    near_miss, drill = settings.types["near-miss"], settings.types["drill"]
    assert (near_miss.metrics, near_miss.follow_up_closure, near_miss.listed) == (True, True, "all")
    assert (drill.listed, drill.metrics, drill.public) == ("own", False, True)
    assert settings.types["external"].requires == ("source_url", "company")
    assert settings.kpi_targets == {"mttr": 4, "follow_up_on_time": 0.8}
    assert settings.ticket_url == "https://tracker.example.com/browse/{ticket}"
    assert settings.severity_aliases == {"p1": "SEV-1"}


def test_a_date_written_as_a_yaml_date_is_accepted(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    path.write_text(path.read_text().replace("{}", "{build_date: 2024-05-06}"))
    config = load_config(config_file=str(path))
    settings = settings_from_config(config.plugins["postmortems"].config, config)
    assert settings.build_date == dt.date(2024, 5, 6)
