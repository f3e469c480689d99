"""Workout reminders through real envelopes, the real SQLite store and the real ask-sdk API client, against a
local stand-in for the Alexa Reminders API (tests/support/reminders_standin.py, the only fake: the network edge)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.alexa_checks import answered, speech_of
from support.reminders_standin import RemindersStandin, body_problems
from support.workouts import store_of

from skill import plan, prompts, testing
from skill.catalog import Catalog
from skill.handlers.reminders import REMINDERS_SCOPE

RUNNER = "amzn1.ask.account.REMINDED"
TOKEN = "api-access-token-of-the-runner"
Post = Any


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RemindersStandin]:
    """The stand-in on a free port, its certificate trusted by `requests` for this test only."""
    with RemindersStandin(tmp_path) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_bundle))
        running.grant(TOKEN)
        yield running


def ask(post: Post, name: str, standin: RemindersStandin, slots: dict[str, testing.SlotSpec] | None = None, *,
        token: str | None = TOKEN, consent: bool = True) -> dict[str, Any]:
    """`name` said by RUNNER, the envelope carrying the stand-in as apiEndpoint, as Alexa sends it."""
    envelope = testing.intent_request(name, slots, user_id=RUNNER, new=True)
    system = envelope["context"]["System"]
    system["apiEndpoint"] = standin.url
    if token is not None:
        system["apiAccessToken"] = token
    if consent:
        system["user"]["permissions"] = {"consentToken": "consent-token-of-the-runner"}
    return answered(post, envelope)


def planned(post: Post, standin: RemindersStandin, days: frozenset[int] = frozenset({0, 2, 5})) -> None:
    """The runner has planned a week that runs on `days` (Monday, Wednesday and Saturday by default)."""
    ask(post, "RunningDaysIntent", standin, {"days": (plan.run_day_values()[plan.days_id(days)][0],
                                                       plan.days_id(days))})


def stored_tokens(app: Any) -> tuple[str, ...]:
    return store_of(app).load(RUNNER).reminders


def posted(standin: RemindersStandin) -> list[dict[str, Any]]:
    return [seen.body for seen in standin.seen if seen.method == "POST"]


def is_consent_card(data: dict[str, Any]) -> bool:
    card = data["response"].get("card") or {}
    return card.get("type") == "AskForPermissionsConsent" and card.get("permissions") == [REMINDERS_SCOPE]


# --- setting them -------------------------------------------------------------------------------------------

def test_reminders_are_made_weekly_for_the_stretch_on_run_days_and_strength_on_strength_days(
        post: Post, standin: RemindersStandin, catalog: Catalog) -> None:
    planned(post, standin)
    ask(post, "SetRemindersIntent", standin)
    bodies = posted(standin)
    assert [b["trigger"]["recurrence"]["recurrenceRules"] for b in bodies] == [
        ["FREQ=WEEKLY;BYDAY=MO,WE,SA;BYHOUR=18;BYMINUTE=0;BYSECOND=0;INTERVAL=1"],
        ["FREQ=WEEKLY;BYDAY=TU,FR;BYHOUR=18;BYMINUTE=0;BYSECOND=0;INTERVAL=1"]]
    assert [b["alertInfo"]["spokenInfo"]["content"][0]["text"] for b in bodies] == [
        prompts.reminder_words(catalog.routines["recovery"]), prompts.reminder_words(catalog.routines["glutes"])]


def test_the_bodies_are_what_amazon_documents(post: Post, standin: RemindersStandin) -> None:
    planned(post, standin)
    ask(post, "SetRemindersIntent", standin)
    for body in posted(standin):
        assert body_problems(body) == []
        assert body["trigger"]["type"] == "SCHEDULED_ABSOLUTE" and "timeZoneId" not in body["trigger"]
        assert body["alertInfo"]["spokenInfo"]["content"][0]["locale"] == "en-US"
        assert body["pushNotification"] == {"status": "ENABLED"}
    assert {seen.token for seen in standin.seen} == {TOKEN}


def test_the_tokens_of_the_reminders_made_are_kept(post: Post, standin: RemindersStandin, app: Any) -> None:
    planned(post, standin)
    ask(post, "SetRemindersIntent", standin)
    assert set(stored_tokens(app)) == set(standin.alerts(TOKEN)) and len(stored_tokens(app)) == 2


def test_the_runner_hears_when_and_on_which_days_they_ring(post: Post, standin: RemindersStandin) -> None:
    planned(post, standin)
    said = speech_of(ask(post, "SetRemindersIntent", standin))
    assert said.startswith("Done. Every week at 6 PM, I'll remind you about your post-run stretch on Monday, "
                           "Wednesday and Saturday, and your glute strength workout on Tuesday and Friday.")


def test_a_time_the_runner_names_is_the_time_they_ring(post: Post, standin: RemindersStandin) -> None:
    planned(post, standin)
    said = speech_of(ask(post, "SetRemindersIntent", standin, {"time": "07:30"}))
    assert all("BYHOUR=7;BYMINUTE=30;" in b["trigger"]["recurrence"]["recurrenceRules"][0] for b in posted(standin))
    assert "Every week at 7:30 AM" in said


def test_setting_them_again_replaces_ours(post: Post, standin: RemindersStandin, app: Any) -> None:
    planned(post, standin)
    ask(post, "SetRemindersIntent", standin)
    first = stored_tokens(app)
    ask(post, "SetRemindersIntent", standin)
    assert set(standin.alerts(TOKEN)) == set(stored_tokens(app)) and not set(first) & set(stored_tokens(app))


def test_without_a_plan_the_week_is_planned_first(post: Post, standin: RemindersStandin) -> None:
    data = ask(post, "SetRemindersIntent", standin)
    assert speech_of(data) == prompts.reminders_need_plan() and standin.seen == []


# --- permission ---------------------------------------------------------------------------------------------

def test_without_consent_the_runner_gets_the_permission_card_and_nothing_is_made(
        post: Post, standin: RemindersStandin, app: Any) -> None:
    planned(post, standin)
    data = ask(post, "SetRemindersIntent", standin, consent=False)
    assert is_consent_card(data) and speech_of(data) == prompts.reminders_need_permission()
    assert data["response"]["shouldEndSession"] is True
    assert standin.seen == [] and stored_tokens(app) == ()


def test_a_token_the_api_refuses_gets_the_permission_card_and_nothing_is_kept(
        post: Post, standin: RemindersStandin, app: Any) -> None:
    planned(post, standin)
    data = ask(post, "SetRemindersIntent", standin, token="a-token-without-the-permission")
    assert is_consent_card(data)
    assert [seen.status for seen in standin.seen] == [403] and stored_tokens(app) == ()


def test_a_request_without_an_api_token_never_calls_the_api(post: Post, standin: RemindersStandin) -> None:
    planned(post, standin)
    assert is_consent_card(ask(post, "ListRemindersIntent", standin, token=None)) and standin.seen == []


# --- failure --------------------------------------------------------------------------------------------------

def test_an_api_failure_gets_a_short_apology_and_nothing_is_kept(
        post: Post, standin: RemindersStandin, app: Any) -> None:
    planned(post, standin)
    standin.fail_with(500)
    data = ask(post, "SetRemindersIntent", standin)
    assert speech_of(data) == prompts.reminders_failed() and data["response"]["shouldEndSession"] is False
    assert stored_tokens(app) == () and "card" not in data["response"]


def test_a_failure_after_the_first_reminder_takes_it_back(post: Post, standin: RemindersStandin, app: Any) -> None:
    planned(post, standin)
    standin.fail_with(500, after_posts=1, methods=("POST",))  # the stretch reminder is made, the strength one fails
    data = ask(post, "SetRemindersIntent", standin)
    assert speech_of(data) == prompts.reminders_failed()
    assert [(seen.method, seen.status) for seen in standin.seen] == [("POST", 200), ("POST", 500), ("DELETE", 200)]
    assert standin.alerts(TOKEN) == {} and stored_tokens(app) == ()


def test_a_reminder_that_cannot_be_taken_back_stays_ours_to_cancel(
        post: Post, standin: RemindersStandin, app: Any) -> None:
    planned(post, standin)
    standin.fail_with(500, after_posts=1)  # the strength reminder fails, and so does taking the stretch one back
    ask(post, "SetRemindersIntent", standin)
    assert stored_tokens(app) == tuple(standin.alerts(TOKEN)) and len(stored_tokens(app)) == 1


# --- listing and cancelling ----------------------------------------------------------------------------------

def test_listing_names_each_reminder_with_its_days_and_time(post: Post, standin: RemindersStandin) -> None:
    planned(post, standin)
    ask(post, "SetRemindersIntent", standin)
    said = speech_of(ask(post, "ListRemindersIntent", standin))
    assert said.startswith("You have 2 Band Coach reminders: your post-run stretch on Monday, Wednesday and "
                           "Saturday at 6 PM, and your glute strength workout on Tuesday and Friday at 6 PM.")


def test_listing_with_none_says_how_to_get_them(post: Post, standin: RemindersStandin, catalog: Catalog) -> None:
    said = speech_of(ask(post, "ListRemindersIntent", standin))
    assert said.startswith(prompts.reminders_listed((), catalog)) and "set my workout reminders" in said


def test_cancelling_deletes_exactly_ours(post: Post, standin: RemindersStandin, app: Any) -> None:
    planned(post, standin)
    ask(post, "SetRemindersIntent", standin)
    theirs = standin.add(TOKEN, posted(standin)[0])  # one the runner made another way: not ours to delete
    ours = set(stored_tokens(app))
    said = speech_of(ask(post, "CancelRemindersIntent", standin))
    deleted = {seen.path.rsplit("/", 1)[1] for seen in standin.seen if seen.method == "DELETE"}
    assert deleted == ours and set(standin.alerts(TOKEN)) == {theirs}
    assert stored_tokens(app) == () and said.startswith("Done: I've cancelled your 2 Band Coach reminders.")


def test_cancelling_with_none_of_ours_calls_nothing(post: Post, standin: RemindersStandin) -> None:
    said = speech_of(ask(post, "CancelRemindersIntent", standin))
    assert said.startswith(prompts.reminders_cancelled(0)) and standin.seen == []


def test_a_reminder_deleted_in_the_alexa_app_counts_as_cancelled(
        post: Post, standin: RemindersStandin, app: Any) -> None:
    planned(post, standin)
    ask(post, "SetRemindersIntent", standin)
    gone = stored_tokens(app)[0]
    standin.server.state.alerts[TOKEN].pop(gone)  # the runner deleted it in the Alexa app
    ask(post, "CancelRemindersIntent", standin)
    assert stored_tokens(app) == () and standin.alerts(TOKEN) == {}


def test_the_skill_manifest_asks_for_the_reminders_permission() -> None:
    manifest = json.loads((Path(__file__).parents[1] / "skill-package" / "skill.json").read_text())["manifest"]
    assert {"name": REMINDERS_SCOPE} in manifest["permissions"]


def test_answering_without_reminders_loads_no_http_client(tmp_path: Path) -> None:
    """The API client loads `requests` on its first call only: the start-up path stays as light as before."""
    code = ("import json, sys\n"
            "import skill.lambda_handler as h\n"
            "h.handler(json.loads(sys.argv[1]), None)\n"
            "print(json.dumps(sorted(m for m in ('requests', 'urllib3') if m in sys.modules)))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANDCOACH_")}
    env.update(BANDCOACH_SKILL_ID=testing.DEFAULT_APP_ID, BANDCOACH_LOAD_PLUGINS="bandcoach",
               BANDCOACH_DATA_DIR=str(tmp_path / "data"), BANDCOACH_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", code, json.dumps(testing.launch_request())],
                         cwd=Path(__file__).parents[1], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == []
