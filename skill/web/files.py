"""Serve one file from inside a directory: confined to it, with ranges, validators and a 416 that names the length."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Response, jsonify, request, send_file
from werkzeug.exceptions import RequestedRangeNotSatisfiable

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

    A Range the file cannot satisfy (or a malformed one) is answered 416 with `Content-Range: bytes */size`
    before the file is opened. `send_kw` goes to flask.send_file (etag, max_age...); `cache_control`
    replaces the Cache-Control header send_file sets.
    """
    real = inside(root, path)
    if real is None:
        return None
    size = real.stat().st_size
    if "Range" in request.headers:
        wanted = request.range  # None when the header is malformed, which werkzeug also answers with 416
        if wanted is None or wanted.range_for_length(size) is None:
            return range_not_satisfiable(size)
    try:
        response = send_file(real, mimetype=mimetype, conditional=True, **send_kw)
    except RequestedRangeNotSatisfiable:  # the file was replaced between the check and the send
        return range_not_satisfiable(_size(real, size))
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
