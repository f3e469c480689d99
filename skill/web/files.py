"""Serve one file from inside a directory: confined to it, with ranges and validators in RFC 9110's order."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Response, jsonify, request, send_file
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header

logger = logging.getLogger(__name__)


def inside(root: Path, path: Path) -> Path | None:
    """The real path of the regular file `path` when it lies inside the real `root`, else None (logged)."""
    try:
        real_root = root.resolve(strict=True)
        real = path.resolve(strict=True)
    except OSError:
        return None
    if not real.is_relative_to(real_root) or not real.is_file():
        logger.warning("%s resolves outside %s (%s); refused", path, real_root, real)
        return None
    return real


def send_inside(root: Path, path: Path, mimetype: str, *, cache_control: str | None = None,
                **send_kw: Any) -> Response | None:
    """`path` served with Range support when it is a file inside `root`; None when it is not (the caller's 404).

    RFC 9110's order: the preconditions first (If-None-Match, If-Modified-Since: a 304 wins over any
    Range), then If-Range, then the Range. A Range in a unit we do not know or with a malformed set is
    ignored (the whole file, 200); one that no byte of the file satisfies is a 416 with
    `Content-Range: bytes */size`. `send_kw` goes to flask.send_file (etag, max_age...); `cache_control`
    replaces the Cache-Control header send_file sets.
    """
    real = inside(root, path)
    if real is None:
        return None
    size = real.stat().st_size
    environ = request.environ
    wanted = environ.get("HTTP_RANGE")
    if wanted is not None and (request.method != "GET" or not _byte_ranges(wanted)):
        del environ["HTTP_RANGE"]  # a Range we do not understand is ignored: the whole file (RFC 9110 14.2)
        wanted = None
    try:
        if wanted is not None and ("HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ):
            del environ["HTTP_RANGE"]  # preconditions first: a 304 wins over the Range (RFC 9110 13.2.2)
            whole = send_file(real, mimetype=mimetype, conditional=True, **send_kw)
            if whole.status_code == 304:
                return _finished(whole, cache_control)
            whole.close()
            environ["HTTP_RANGE"] = wanted
        response = send_file(real, mimetype=mimetype, conditional=True, **send_kw)
    except RequestedRangeNotSatisfiable:
        return range_not_satisfiable(_size(real, size))
    return _finished(response, cache_control)


def _byte_ranges(header: str) -> bool:
    """Whether a Range header is a well-formed set of byte ranges (anything else is ignored)."""
    parsed = parse_range_header(header)
    return parsed is not None and parsed.units == "bytes"


def _finished(response: Response, cache_control: str | None) -> Response:
    if cache_control is not None:
        response.headers["Cache-Control"] = cache_control
    response.headers["Accept-Ranges"] = "bytes"
    return response


def range_not_satisfiable(size: int) -> Response:
    """416 with the file's length, as RFC 9110 asks, and a JSON reason."""
    response = jsonify(error=f"range not satisfiable: the file has {size} bytes")
    response.status_code = 416
    response.headers["Content-Range"] = f"bytes */{size}"
    return response


def _size(path: Path, fallback: int) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return fallback
