"""The CLI keeps each config file's `Settings` while the config is unchanged.

Loaded through MkDocs once, the settings are stored beside the config; later commands use
them only while every input is the same: the config text, the files it INHERITs, the
environment variables its `!ENV` tags read, the code. Anything else loads through MkDocs
again. Never wrong: every test checks the stored settings against a fresh MkDocs load.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import pickle
from pathlib import Path

import pytest

from postmortem_kb.cli import settings_cache
from postmortem_kb.core.settings import Settings
from site_builder import REPO_ROOT, copy_kb

#: The module, not the `main` function `postmortem_kb.cli` exports under the same name.
cli = importlib.import_module("postmortem_kb.cli.main")
LOAD_MKDOCS_CONFIG = cli.load_mkdocs_config


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_kb(REPO_ROOT, tmp_path / "kb")
    monkeypatch.chdir(root)
    return root


class MkDocsLoads:
    """Counts the loads through MkDocs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self._load = cli.load_mkdocs_config
        monkeypatch.setattr(cli, "load_mkdocs_config", self)

    def __call__(self, audience: str, config_file: str | None = None) -> object:
        self.count += 1
        return self._load(audience, config_file)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> MkDocsLoads:
    return MkDocsLoads(monkeypatch)


def fresh(audience: str, config_file: str | None = None) -> Settings:
    """The settings as a load through MkDocs gives them, no cache involved (not counted)."""
    return cli.settings_for(LOAD_MKDOCS_CONFIG(audience, config_file))


@pytest.mark.parametrize("audience", ["internal", "public"])
def test_stored_settings_are_the_ones_mkdocs_gives(
    kb: Path, loads: MkDocsLoads, audience: str
) -> None:
    first = cli.load_settings(audience)
    second = cli.load_settings(audience)
    assert loads.count == 1
    assert first == second == fresh(audience)


def test_a_changed_config_is_loaded_again(kb: Path, loads: MkDocsLoads) -> None:
    cli.load_settings("internal")
    config = kb / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "site_name: Lumen Pay incident library", "site_name: Renamed library"
        ),
        encoding="utf-8",
    )
    assert cli.load_settings("internal").site_name == "Renamed library"
    assert loads.count == 2


def test_a_change_to_the_inherited_file_is_seen_by_the_one_inheriting(
    kb: Path, loads: MkDocsLoads
) -> None:
    cli.load_settings("public")
    config = kb / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("timezone: UTC", "timezone: Europe/Dublin"),
        encoding="utf-8",
    )
    assert cli.load_settings("public").timezone == "Europe/Dublin" == fresh("public").timezone


def test_an_environment_variable_read_by_the_config_is_part_of_the_key(
    kb: Path, loads: MkDocsLoads, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = kb / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "site_name: Lumen Pay incident library",
            "site_name: !ENV [PMKB_TEST_SITE_NAME, Default name]",
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("PMKB_TEST_SITE_NAME", "First")
    assert cli.load_settings("internal").site_name == "First"
    monkeypatch.setenv("PMKB_TEST_SITE_NAME", "Second")
    assert cli.load_settings("internal").site_name == "Second"
    assert cli.load_settings("internal").site_name == "Second"
    assert loads.count == 2


def test_without_a_build_date_option_the_date_is_always_today(kb: Path) -> None:
    config = kb / "mkdocs.yml"
    assert "build_date" not in config.read_text(encoding="utf-8")
    cli.load_settings("internal")
    stored_at = kb / settings_cache.CACHE_FOLDER / "mkdocs.yml.pickle"
    stored = pickle.loads(stored_at.read_bytes())
    yesterday = dataclasses.replace(stored.settings, build_date=dt.date(2001, 1, 1))
    stored_at.write_bytes(pickle.dumps(dataclasses.replace(stored, settings=yesterday)))
    assert cli.load_settings("internal").build_date == dt.date.today()


def test_a_build_date_option_is_kept(kb: Path, loads: MkDocsLoads) -> None:
    config = kb / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "      timezone: UTC", '      timezone: UTC\n      build_date: "2024-06-01"'
        ),
        encoding="utf-8",
    )
    cli.load_settings("internal")
    assert cli.load_settings("internal").build_date == dt.date(2024, 6, 1)
    assert loads.count == 1


def test_a_damaged_store_is_loaded_again(kb: Path, loads: MkDocsLoads) -> None:
    cli.load_settings("internal")
    (kb / settings_cache.CACHE_FOLDER / "mkdocs.yml.pickle").write_bytes(b"\x80\x05garbage")
    assert cli.load_settings("internal") == fresh("internal")
    assert loads.count == 2


def test_a_folder_that_cannot_hold_the_store_only_costs_time(kb: Path, loads: MkDocsLoads) -> None:
    (kb / ".cache").write_text("a file where the cache folder would be", encoding="utf-8")
    assert cli.load_settings("internal") == cli.load_settings("internal") == fresh("internal")
    assert loads.count == 2


def test_a_quoted_inherit_is_followed(kb: Path) -> None:
    public = kb / "mkdocs.public.yml"
    public.write_text(
        public.read_text(encoding="utf-8").replace(
            "INHERIT: mkdocs.yml", "INHERIT: 'mkdocs.yml'  # the internal site"
        ),
        encoding="utf-8",
    )
    before = settings_cache.inputs_digest(public)
    internal = kb / "mkdocs.yml"
    internal.write_text(internal.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert None is not before != settings_cache.inputs_digest(public)


def test_an_inherit_written_in_a_way_not_read_here_is_never_stored(
    kb: Path, loads: MkDocsLoads
) -> None:
    config = kb / "flow.yml"
    config.write_text("{INHERIT: mkdocs.yml, site_name: Flow}\n", encoding="utf-8")
    assert settings_cache.inputs_digest(config) is None
    assert cli.load_settings("internal", "flow.yml").site_name == "Flow"
    assert cli.load_settings("internal", "flow.yml").site_name == "Flow"
    assert loads.count == 2
    assert not (kb / settings_cache.CACHE_FOLDER / "flow.yml.pickle").exists()


def test_a_missing_config_is_still_named(kb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-f", "nowhere.yml", "search", "x"]) == 1
    assert "nowhere.yml: not found" in capsys.readouterr().err
