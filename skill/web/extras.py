"""A missing optional extra on a web route: 503 with the pip command, so a server without `audio` still answers
Alexa."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify

from skill.extras import missing_extra

logger = logging.getLogger(__name__)


def answer_missing_extras(blueprint: Blueprint) -> Blueprint:
    """Make `blueprint`'s routes answer 503 with the fix when what they load needs an extra that is not installed."""

    def missing(exc: ModuleNotFoundError) -> tuple[Response, int]:
        fix = missing_extra(exc)
        if fix is None:
            raise exc  # not an extra's module: a real bug, for the app's own error handler
        logger.warning("%s: %s", blueprint.name, fix)
        return jsonify(error=fix), 503

    blueprint.register_error_handler(ModuleNotFoundError, missing)
    return blueprint
