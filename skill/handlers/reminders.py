"""Weekly workout reminders through the Alexa Reminders API: set them for the runner's plan, list, cancel ours.

The API needs the runner's permission (REMINDERS_SCOPE); without it the answer is a consent card in
the Alexa app. Any other failure is logged and answered with a short apology. The alert tokens of
the reminders made are kept in UserState.reminders, and cancelling deletes exactly those. Reminders
carry no time zone: Alexa rings them at the time on the runner's device (docs/plan.md).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.services import ApiClient, ApiClientRequest, ApiClientResponse, ServiceException
from ask_sdk_model.services.reminder_management import (
    AlertInfo,
    PushNotification,
    PushNotificationStatus,
    Recurrence,
    ReminderRequest,
    SpokenInfo,
    SpokenText,
    Trigger,
    TriggerType,
)
from ask_sdk_model.ui import AskForPermissionsConsentCard

from skill import plan, prompts, ssml
from skill.catalog import Catalog
from skill.errors import BandCoachError
from skill.handlers import memory
from skill.handlers.base import Handler, intent_name, locale_of, say, slot
from skill.plan import WeeklyReminder

logger = logging.getLogger(__name__)

REMINDERS_SCOPE = "alexa::alerts:reminders:skill:readwrite"  # also in skill-package/skill.json
API_TIMEOUT_SECONDS = 3.0  # Alexa waits 8 s for the whole answer; a stalled API call must not use it up
REMINDERS_PATH = "/v1/alerts/reminders"
_RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # RFC 5545 BYDAY, Monday first like date.weekday()
# AMAZON.TIME sends "HH:MM", or one of these for a part of the day.
_PARTS_OF_DAY = {"MO": time(7, 0), "AF": time(13, 0), "EV": time(18, 0), "NI": time(20, 0)}


class RemindersUnavailable(BandCoachError):
    """The Reminders API could not be used for this request; the message says what it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status the API answered, when it answered


class RemindersNotAllowed(RemindersUnavailable):
    """The runner has not given Band Coach permission for reminders (no consent token, or 401/403)."""


class AlexaApiClient(ApiClient):
    """ask-sdk's DefaultApiClient, imported on the first API call and given a timeout.

    It imports `requests` (about 60 ms of a cold start that most requests never need: docs/performance.md
    keeps it off the start-up path), and calls it with no timeout at all.
    """

    def __init__(self, timeout: float = API_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._client: ApiClient | None = None

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        if self._client is None:
            self._client = _timed_default_client(self.timeout)
        response: ApiClientResponse = self._client.invoke(request)
        return response


def _timed_default_client(timeout: float) -> ApiClient:
    from ask_sdk_core.api_client import DefaultApiClient  # here, not at the top: it loads requests

    class TimedDefaultApiClient(DefaultApiClient):
        def _resolve_method(self, request: ApiClientRequest) -> Callable[..., Any]:
            return functools.partial(super()._resolve_method(request), timeout=timeout)

    client: ApiClient = TimedDefaultApiClient()
    return client


class RemindersApi:
    """The Reminders API for one request, as create, list and delete; failures are RemindersUnavailable."""

    def __init__(self, handler_input: HandlerInput) -> None:
        system = getattr(handler_input.request_envelope.context, "system", None)
        consent = getattr(getattr(getattr(system, "user", None), "permissions", None), "consent_token", None)
        factory = handler_input.service_client_factory
        if not getattr(system, "api_access_token", None) or not consent or factory is None:
            raise RemindersNotAllowed("the request carries no permission for reminders")
        self._client = factory.get_reminder_management_service()
        self._config = factory.api_configuration
        self._locale = locale_of(handler_input)

    def create(self, reminder: WeeklyReminder, words: str) -> str:
        """Make one weekly reminder that says `words`; its alert token."""
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)  # the API wants local times, no offset
        request = ReminderRequest(
            request_time=now,
            trigger=Trigger(object_type=TriggerType.SCHEDULED_ABSOLUTE,  # no timeZoneId: the device's zone
                            recurrence=Recurrence(start_date_time=now, recurrence_rules=[rrule(reminder)])),
            alert_info=AlertInfo(spoken_info=SpokenInfo(
                content=[SpokenText(locale=self._locale, text=words, ssml=ssml.speak(words))])),
            push_notification=PushNotification(status=PushNotificationStatus.ENABLED))
        made = self._call("create a reminder", lambda: self._client.create_reminder(request))
        token = getattr(made, "alert_token", None)
        if not isinstance(token, str) or not token:
            raise RemindersUnavailable("the Reminders API created a reminder but sent no alertToken")
        return token

    def listed(self) -> list[dict[str, Any]]:
        """Every reminder of this skill for the runner, as the API's JSON objects.

        Read through the SDK's ApiClient, not ReminderManagementServiceClient.get_reminders: ask-sdk-model
        1.82 types alertInfo.spokenInfo as a module it does not ship (alert_info_spoken_info), so the
        SDK cannot read back any reminder that has words.
        """
        request = ApiClientRequest(
            url=self._config.api_endpoint.rstrip("/") + REMINDERS_PATH, method="GET",
            headers=[("Authorization", f"Bearer {self._config.authorization_value}"), ("Accept", "application/json")])
        response = self._call("list reminders", lambda: self._config.api_client.invoke(request))
        status = getattr(response, "status_code", None)
        if not isinstance(status, int) or not 200 <= status < 300:
            raise _failure("list reminders", status)
        try:
            alerts = json.loads(response.body or "{}").get("alerts") or []
        except (ValueError, AttributeError) as exc:
            raise RemindersUnavailable(f"the Reminders API listed reminders as unreadable JSON: {exc}") from None
        return [a for a in alerts if isinstance(a, dict)]

    def delete_each(self, tokens: tuple[str, ...]) -> tuple[str, ...]:
        """Delete these reminders; the tokens of those that are still there (one already gone counts as deleted)."""
        left = []
        for token in tokens:
            try:
                self._call("delete a reminder", functools.partial(self._client.delete_reminder, token))
            except RemindersUnavailable as exc:
                if exc.status != 404:
                    logger.warning("reminder not deleted: %s", exc)
                    left.append(token)
        return tuple(left)

    @staticmethod
    def _call(what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ServiceException as exc:
            raise _failure(what, exc.status_code) from None
        except Exception as exc:  # the SDK raises its own errors for a body it cannot read, a refused connection...
            raise RemindersUnavailable(f"could not {what}: {type(exc).__name__}: {str(exc)[:200]}") from None


def _failure(what: str, status: object) -> RemindersUnavailable:
    code = status if isinstance(status, int) else None
    if code in (401, 403):
        return RemindersNotAllowed(f"the Reminders API refused to {what} (HTTP {code}): no permission for reminders",
                                   code)
    return RemindersUnavailable(f"the Reminders API could not {what} (HTTP {status})", code)


def rrule(reminder: WeeklyReminder) -> str:
    """The RFC 5545 rule for a weekly reminder: "FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=18;BYMINUTE=0;...".

    One rule for all its days: a recurring reminder takes BYDAY lists (the deprecated byDay field did not)."""
    days = ",".join(_RRULE_DAYS[d] for d in sorted(reminder.weekdays))
    return (f"FREQ=WEEKLY;BYDAY={days};BYHOUR={reminder.at.hour};BYMINUTE={reminder.at.minute};BYSECOND=0;"
            "INTERVAL=1")


def reminder_time(heard: str | None) -> time:
    """The time an AMAZON.TIME slot names ("18:30", or "EV" for the evening); the default 6 PM otherwise."""
    text = (heard or "").strip().upper()
    if text in _PARTS_OF_DAY:
        return _PARTS_OF_DAY[text]
    found = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if found and int(found[1]) < 24 and int(found[2]) < 60:
        return time(int(found[1]), int(found[2]))
    return plan.DEFAULT_REMINDER_TIME


def read_reminder(alert: dict[str, Any], catalog: Catalog) -> WeeklyReminder | None:
    """One listed reminder as a WeeklyReminder (its routine found by the words it says), None if not weekly."""
    if alert.get("status", "ON") != "ON":
        return None
    rules = ((alert.get("trigger") or {}).get("recurrence") or {}).get("recurrenceRules") or []
    fields = dict(part.split("=", 1) for part in str(rules[0] if rules else "").split(";") if "=" in part)
    days = tuple(sorted(_RRULE_DAYS.index(d) for d in fields.get("BYDAY", "").split(",") if d in _RRULE_DAYS))
    if fields.get("FREQ") != "WEEKLY" or not days:
        return None
    content = ((alert.get("alertInfo") or {}).get("spokenInfo") or {}).get("content") or [{}]
    said = str(content[0].get("text", "")) if isinstance(content[0], dict) else ""
    routine = next((r.id for r in catalog.routines.values() if prompts.reminder_words(r) == said), "")
    try:
        at = time(int(fields.get("BYHOUR", "")), int(fields.get("BYMINUTE", "0")))
    except ValueError:
        return None
    return WeeklyReminder(routine, days, at)


def _ask_for_permission(handler_input: HandlerInput) -> Response:
    handler_input.response_builder.set_card(AskForPermissionsConsentCard(permissions=[REMINDERS_SCOPE]))
    return say(handler_input, prompts.reminders_need_permission(), end=True)


def _sorry(handler_input: HandlerInput, exc: RemindersUnavailable) -> Response:
    logger.warning("reminders: %s", exc)
    return say(handler_input, prompts.reminders_failed(), reprompt=prompts.anything_else())


class SetRemindersIntentHandler(Handler):
    """SetRemindersIntent ("set my workout reminders"): weekly reminders for the plan, replacing ours."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) == "SetRemindersIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        week = memory.week_plan(handler_input, self.deps)
        if week is None:
            return say(handler_input, prompts.reminders_need_plan(), reprompt=prompts.which_running_days())
        wanted = plan.reminders_for(week, reminder_time(slot(handler_input, "time")[0]))
        old = memory.reminder_tokens(handler_input, self.deps)
        made: list[str] = []
        try:
            api = RemindersApi(handler_input)
            for reminder in wanted:
                made.append(api.create(reminder, prompts.reminder_words(self.catalog.routines[reminder.routine])))
        except RemindersUnavailable as exc:
            if made:  # all or nothing: the ones made before the failure go again (any that stay are still ours)
                memory.set_reminder_tokens(handler_input, self.deps, (*old, *api.delete_each(tuple(made))))
            if isinstance(exc, RemindersNotAllowed):
                return _ask_for_permission(handler_input)
            return _sorry(handler_input, exc)
        still_there = api.delete_each(old)  # the new reminders replace the old ones
        kept = memory.set_reminder_tokens(handler_input, self.deps, (*made, *still_there))
        return say(handler_input, f"{prompts.reminders_set(wanted, self.catalog, kept)} {prompts.anything_else()}",
                   reprompt=prompts.anything_else())


class ListRemindersIntentHandler(Handler):
    """ListRemindersIntent ("what reminders do I have"): Band Coach's reminders, as Alexa has them now."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) == "ListRemindersIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        try:
            alerts = RemindersApi(handler_input).listed()
        except RemindersNotAllowed:
            return _ask_for_permission(handler_input)
        except RemindersUnavailable as exc:
            return _sorry(handler_input, exc)
        found = tuple(r for r in (read_reminder(a, self.catalog) for a in alerts) if r is not None)
        return say(handler_input, f"{prompts.reminders_listed(found, self.catalog)} {prompts.anything_else()}",
                   reprompt=prompts.anything_else())


class CancelRemindersIntentHandler(Handler):
    """CancelRemindersIntent ("cancel my reminders"): delete exactly the reminders Band Coach made."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) == "CancelRemindersIntent"

    def handle(self, handler_input: HandlerInput) -> Response:
        ours = memory.reminder_tokens(handler_input, self.deps)
        if not ours:
            return say(handler_input, f"{prompts.reminders_cancelled(0)} {prompts.anything_else()}",
                       reprompt=prompts.anything_else())
        try:
            api = RemindersApi(handler_input)
        except RemindersNotAllowed:
            return _ask_for_permission(handler_input)
        left = api.delete_each(ours)
        memory.set_reminder_tokens(handler_input, self.deps, left)
        if left:
            return _sorry(handler_input, RemindersUnavailable(f"{len(left)} of {len(ours)} reminders not deleted"))
        return say(handler_input, f"{prompts.reminders_cancelled(len(ours))} {prompts.anything_else()}",
                   reprompt=prompts.anything_else())
