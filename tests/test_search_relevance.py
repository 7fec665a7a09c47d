"""Onboarding questions a newcomer might ask, answered from the example knowledge base.

Each question is in plain words, the way someone new would type it, not a copy of a title.
The incident that answers it must be among the top three results (any one of several when
several answer it). This guards ranking (boosts, stemming, stop words) against regressions.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from postmortem_kb.core.settings import Settings
from postmortem_kb.search.index import SearchRequest
from postmortem_kb.search.service import search_built_index, search_library, update_index
from postmortem_kb.site.plan import project_audience
from site_builder import REPO_ROOT

QUESTIONS: dict[str, set[str]] = {
    "have we had certificate problems before?": {
        "2016-04-12-login-certificate-expired", "2020-05-30-webhook-deliveries-failed-expired-root",
        "2012-02-29-leap-day-certificates"},
    "did we ever lose customer data?": {"2017-01-31-dashboard-data-loss"},
    "a regex took down the proxy": {"2019-07-02-waf-regex-outage"},
    "what happened after the christmas holidays when traffic came back?": {
        "2021-01-04-outage-after-the-holidays"},
    "why were customers charged twice?": {"2015-06-01-customers-charged-twice"},
    "leap year bug": {"2012-02-29-leap-day-certificates"},
    "someone deleted the production database by accident": {"2017-01-31-dashboard-data-loss"},
    "were our backups ever tested by restoring them?": {"2017-01-31-dashboard-data-loss"},
    "text message codes not arriving": {"2018-05-16-sms-login-codes-delayed",
                                        "2025-03-11-sms-codes-delayed-again"},
    "secret key exposed in build logs": {"2023-08-09-leaked-cloud-key"},
    "bitcoin mining on our cloud account": {"2023-08-09-leaked-cloud-key"},
    "feature flag turned on for all merchants": {
        "2022-03-17-new-checkout-shown-to-all-merchants"},
    "disk full because of too much logging": {"2014-11-03-api-slowdown-full-log-disks",
                                              "2020-09-14-log-disks-full-again"},
    "failover to another region after a network split": {
        "2018-10-21-degraded-service-after-network-partition"},
    "app showed the wrong account balance": {
        "2019-07-29-incorrect-balances-after-database-expansion"},
    "mistyped command in a runbook removed servers": {"2017-02-28-file-storage-outage"},
    "switching DNS providers went wrong": {"2025-09-16-api-unreachable-after-dns-move"},
    "we disappeared from the internet and could not get into the office": {
        "2021-11-09-lumen-pay-unreachable"},
    "hardware failure on a database server": {"2013-08-14-payments-stalled-storage-failure"},
    "duplicate push notifications": {"2025-10-07-duplicate-push-notifications"},
    "generated file too big crashed the edge": {
        "2025-11-18-checkout-errors-oversized-risk-file"},
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(source_dir=REPO_ROOT / "postmortems",
                        cache_dir=tmp_path_factory.mktemp("cache"))
    assert not project_audience(settings).kb.problems.errors
    return settings


def test_there_are_enough_questions() -> None:
    assert len(QUESTIONS) >= 15


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_the_answer_is_in_the_top_three(library: Settings, question: str) -> None:
    answer = search_library(library, SearchRequest(question, limit=3))
    top = [result.id for result in answer.results]
    assert QUESTIONS[question] & set(top), f"{question!r}: got {top}"


def test_the_public_index_answers_from_public_text_only(tmp_path: Path, library: Settings) -> None:
    public = dataclasses.replace(library, audience="public", cache_dir=tmp_path)
    update_index(public, project_audience(public).search_documents())  # as a public build does
    leaked = search_built_index(public, SearchRequest("crypto mining cloud key"))
    assert "2023-08-09-leaked-cloud-key" not in [r.id for r in leaked.results]  # no summary
    found = search_built_index(public, SearchRequest("certificate expired"))
    assert "2016-04-12-login-certificate-expired" in [r.id for r in found.results][:3]
