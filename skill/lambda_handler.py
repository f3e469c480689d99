"""handler(event, context): the AWS Lambda entry point that Alexa invokes directly (the `alexaSkill` trigger).

Alexa calls the function itself, not a URL: there are no HTTP headers and no signature to check,
and the Lambda permission lets only the configured skill id invoke it. The envelope then goes
through the very same SkillEndpoint and ask-sdk skill as POST /alexa (skill.runtime builds both).
This module imports no Flask and no audio pipeline, and the skill itself (ask-sdk, handlers, plugins,
store) only on the first invocation: importing it costs what `import skill` does, so Lambda's init
phase stays short and the first request builds the runtime once (docs/performance.md).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from skill.config import Settings
from skill.errors import BadRequest

if TYPE_CHECKING:
    from skill.runtime import Runtime

logger = logging.getLogger(__name__)

_runtime: Runtime | None = None  # one per container: the Lambda process boundary is the app's lifetime
_lock = threading.Lock()


def lambda_settings(settings: Settings) -> Settings:
    """Settings for direct invocation: signature verification does not apply (there is no HTTP request)."""
    return replace(settings, verify=False)


def make_runtime(settings: Settings | None = None) -> Runtime:
    """The runtime for this container: BANDCOACH_* settings, logging level, plugins, catalog and store.

    DynamoDB's table belongs to the deployed stack (serverless.yml), and the function's role may
    not create tables, so the store is not migrated here; SQLite (a local try-out) still is.
    """
    settings = lambda_settings(settings or Settings.from_env())
    logging.getLogger().setLevel(settings.log_level.upper())  # Lambda's runtime leaves the root at WARNING
    if not settings.skill_id:
        logger.warning("BANDCOACH_SKILL_ID is unset: any skill allowed by the Lambda permission is answered")
    from skill.runtime import build_runtime  # ask-sdk, the handlers and the plugins: on first use

    return build_runtime(settings, migrate=settings.state != "dynamodb")


def get_runtime() -> Runtime:
    """This container's runtime, built on the first invocation (a failure is retried on the next one)."""
    global _runtime
    if _runtime is None:
        with _lock:
            if _runtime is None:
                _runtime = make_runtime()
    return _runtime


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Answer one Alexa request envelope with a response envelope (what the alexaSkill trigger expects).

    An event from another skill id raises (nothing is processed, and Lambda counts an error the
    operator can alarm on). A malformed event is logged and gets an empty response rather than a
    function error: Alexa then simply ends the exchange, where an error would make the device say
    the skill failed. Errors inside the skill are the catch-all exception handler's to apologise for.
    """
    return answer(get_runtime(), event)


def answer(runtime: Runtime, event: Any) -> dict[str, Any]:
    """handler() for a given runtime: the skill-id check, then the shared endpoint."""
    if not isinstance(event, dict):
        logger.error("refused a Lambda event that is not an Alexa envelope: a %s", type(event).__name__)
        return empty_response()
    runtime.check_skill_id(event)  # raises VerificationError naming the id and the fix
    try:
        return runtime.endpoint.handle(event)
    except BadRequest as exc:
        logger.error("refused a malformed Alexa event: %s", exc)
        return empty_response()


def empty_response() -> dict[str, Any]:
    """What a malformed event gets: valid for every request type (no speech, which AudioPlayer events forbid)."""
    return {"version": "1.0", "response": {}}
