"""Which optional extra (pyproject's optional-dependencies) installs a module, and the one-line fix when it is missing.

The base install is the skill, its handlers, state, plugins and the CLI shell; the web server, the audio
pipeline, AWS and Piper come with extras. The CLI and the web door turn a missing one into this line.
"""

from __future__ import annotations

# Top-level modules only an extra installs, and that extra. tests/test_extras.py checks it against pyproject.
EXTRAS = {
    "flask": "web", "werkzeug": "web", "jinja2": "web", "waitress": "web", "cryptography": "web",
    "prometheus_client": "web", "segno": "web",  # (certifi, which web lists too, comes with the base's requests)
    "gtts": "audio", "lameenc": "audio", "miniaudio": "audio", "mutagen": "audio", "filelock": "audio",
    "numpy": "audio", "PIL": "audio",
    "boto3": "aws", "botocore": "aws",
    "piper": "piper",
}


def install_hint(extra: str) -> str:
    """The pip command that adds `extra`, for a checkout and for an installed package."""
    return f"pip install -e '.[{extra}]' in a checkout, or pip install 'bandcoach[{extra}]'"


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The fix for a module an extra installs ("this needs the web extra (flask is not installed): pip ..."),
    or None when the missing module is not one of an extra's (a real bug, left to surface)."""
    extra = EXTRAS.get((exc.name or "").split(".")[0])
    if extra is None:
        return None
    return f"this needs the {extra} extra ({exc.name} is not installed): {install_hint(extra)}"
