"""Settings.from_env(): the only reader of BANDCOACH_* variables, with their defaults and help."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any

from skill.errors import ConfigError

logger = logging.getLogger(__name__)

PREFIX = "BANDCOACH_"
LOCALES = ("en-US", "en-GB", "en-AU", "en-CA", "en-IN")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
LOG_FORMATS = ("text", "json")
SKILL_ID_MISSING = ("BANDCOACH_SKILL_ID is not set, so no Alexa request is answered: set it to your skill id "
                    "(amzn1.ask.skill..., in the developer console under Build > Endpoint), or set "
                    "BANDCOACH_ALLOW_ANY_SKILL=1 to answer every skill")


def _setting(env: str, help: str, default: Any = None, *, kind: str = "str") -> Any:
    """A dataclass field that knows its environment variable, its kind and its help text."""
    return field(default=default, metadata={"env": PREFIX + env, "help": help, "kind": kind})


@dataclass(frozen=True, slots=True)
class Settings:
    """Every knob of Band Coach; build it with `Settings.from_env()` (or directly in tests)."""

    verify: bool = _setting(
        "VERIFY", "Verify Alexa request signatures and timestamps (0 only for local development).",
        True, kind="bool")
    skill_id: tuple[str, ...] = _setting(
        "SKILL_ID", "Comma-separated Alexa skill ids accepted. Required while verification is on: unset, no "
        "request is answered and /healthz says 503, unless BANDCOACH_ALLOW_ANY_SKILL=1.",
        (), kind="list")
    allow_any_skill: bool = _setting(
        "ALLOW_ANY_SKILL", "1 answers a request for any skill id while BANDCOACH_SKILL_ID is unset (another "
        "skill's validly signed traffic included); `bandcoach serve --local` sets it.", False, kind="bool")
    data_dir: Path | None = _setting(
        "DATA_DIR", "Where state lives (SQLite database, generated secret). Default: the user data dir.",
        kind="path")
    cache_dir: Path | None = _setting(
        "CACHE_DIR", "Where caches live (audio, certificates). Default: the user cache dir.", kind="path")
    audio_dir: Path | None = _setting(
        "AUDIO_DIR", "Audio prompt cache. Default: <cache dir>/audio.", kind="path")
    export_dir: Path | None = _setting(
        "EXPORT_DIR", "Exported routines (MP3, playlists, covers, chapters, transcripts, feed.xml) written by "
        "`bandcoach export` and served at /feed.xml and /exports/. Default: <data dir>/exports.", kind="path")
    cert_cache_dir: Path | None = _setting(
        "CERT_CACHE_DIR", "Cache of Alexa signing certificate chains. Default: <cache dir>/certs.",
        kind="path")
    ca_bundle: Path | None = _setting(
        "CA_BUNDLE", "PEM file of trusted roots for Alexa's certificate chain. Default: certifi's bundle.",
        kind="path")
    load_plugins: tuple[str, ...] | None = _setting(
        "LOAD_PLUGINS", "Comma-separated distributions whose plugins load: unset = all, "
        "'bandcoach' = built-ins only, empty = none.", None, kind="list")
    trace_plugins: bool = _setting(
        "TRACE_PLUGINS", "Log every hook call (1 to enable).", False, kind="bool")
    state: str = _setting(
        "STATE", "State backend: sqlite (embedded) or dynamodb.", "sqlite")
    db: Path | None = _setting(
        "DB", "SQLite database file. Default: <data dir>/bandcoach.sqlite3.", kind="path")
    secret: str | None = _setting(
        "SECRET", "Key for hashing Alexa user ids; generated and kept in the data dir when unset.")
    dynamodb_table: str = _setting(
        "DYNAMODB_TABLE", "DynamoDB table for state (BANDCOACH_STATE=dynamodb).", "bandcoach-state")
    aws_endpoint_url: str | None = _setting(
        "AWS_ENDPOINT_URL", "Endpoint for DynamoDB and S3 (a local stand-in); unset uses AWS.")
    aws_region: str = _setting("AWS_REGION", "AWS region for DynamoDB and S3.", "us-east-1")
    tts: str = _setting(
        "TTS", "Speech engine: auto (Polly when configured, else Piper when installed, else gTTS when "
        "reachable, else espeak), polly, piper, gtts, espeak, or a comma-separated order of preference.", "auto")
    piper_voice: Path | None = _setting(
        "PIPER_VOICE", "A Piper voice model (.onnx, its .onnx.json beside it) to speak with instead of the "
        "installed voice packages.", kind="path")
    polly: bool = _setting(
        "POLLY", "1 lets Amazon Polly speak (billed per character; AWS credentials from boto3's usual "
        "places, region BANDCOACH_AWS_REGION).", False, kind="bool")
    gtts_url: str = _setting(
        "GTTS_URL", "Where gTTS sends its requests; {tld} becomes the locale's accent domain "
        "(a mirror, or a local stand-in in tests).", "https://translate.google.{tld}")
    public_url: str | None = _setting(
        "PUBLIC_URL", "Public HTTPS base URL where /audio/ is reachable by Alexa; unset = text speech.")
    feed_owner: str = _setting(
        "FEED_OWNER", "The podcast feed's owner and author (itunes:owner, itunes:author).", "Band Coach")
    feed_email: str | None = _setting(
        "FEED_EMAIL", "The feed owner's email (itunes:owner): podcast directories such as Apple's require it to "
        "list a feed.")
    audio_store: str = _setting(
        "AUDIO_STORE", "Where warmed audio is published: local (served by /audio/) or s3.", "local")
    s3_bucket: str | None = _setting("S3_BUCKET", "S3 bucket for audio (BANDCOACH_AUDIO_STORE=s3).")
    tones: bool = _setting(
        "TONES", "Tone cues (a beep for go, each of the last three seconds, and rest) in exports and hands-free "
        "audio; 0 leaves only the voice. Alexa's own voice in a session never has them.", True, kind="bool")
    locale: str = _setting("LOCALE", "Default locale for CLI commands.", "en-US")
    log_level: str = _setting("LOG_LEVEL", "Logging level (DEBUG, INFO, WARNING, ERROR).", "INFO")
    log_format: str = _setting(
        "LOG_FORMAT", "`bandcoach serve`'s log lines: text, or json (one object a line; each request logged "
        "with its id, type or intent, latency and outcome).", "text")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every BANDCOACH_* variable; a bad value raises ConfigError naming the variable."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            raw = environ.get(name)
            if raw is None or (not raw.strip() and f.metadata["kind"] == "str"):
                continue  # an empty string setting means "use the default"
            values[f.name] = _parse(name, raw, f.metadata["kind"])
        return cls(**values).validated()

    def validated(self) -> Settings:
        """Check values that depend on each other; return self so calls chain."""
        if self.state not in ("sqlite", "dynamodb"):
            raise ConfigError(f"BANDCOACH_STATE={self.state!r} is not a backend: use sqlite or dynamodb")
        if self.audio_store not in ("local", "s3"):
            raise ConfigError(f"BANDCOACH_AUDIO_STORE={self.audio_store!r}: use local or s3")
        if self.audio_store == "s3" and not self.s3_bucket:
            raise ConfigError("BANDCOACH_AUDIO_STORE=s3 needs BANDCOACH_S3_BUCKET: set the bucket name")
        if self.public_url and not self.public_url.startswith(("https://", "http://")):
            raise ConfigError(f"BANDCOACH_PUBLIC_URL={self.public_url!r} is not a URL: use https://host/path")
        if self.locale not in LOCALES:
            raise ConfigError(f"BANDCOACH_LOCALE={self.locale!r}: use one of {', '.join(LOCALES)}")
        if self.log_level.upper() not in logging.getLevelNamesMapping():
            raise ConfigError(f"BANDCOACH_LOG_LEVEL={self.log_level!r}: use DEBUG, INFO, WARNING or ERROR")
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"BANDCOACH_LOG_FORMAT={self.log_format!r}: use {' or '.join(LOG_FORMATS)}")
        return self

    @property
    def skill_id_missing(self) -> bool:
        """Verification is on, no skill id is set and nobody opted out: every Alexa request is refused."""
        return self.verify and not self.skill_id and not self.allow_any_skill

    # Derived locations: one place decides every default path.
    @property
    def data_path(self) -> Path:
        if self.data_dir:
            return self.data_dir
        import platformdirs  # ~5 ms of start-up, skipped where the directories are configured (Lambda)

        return Path(platformdirs.user_data_dir("bandcoach"))

    @property
    def cache_path(self) -> Path:
        if self.cache_dir:
            return self.cache_dir
        import platformdirs

        return Path(platformdirs.user_cache_dir("bandcoach"))

    @property
    def audio_path(self) -> Path:
        return self.audio_dir or self.cache_path / "audio"

    @property
    def export_path(self) -> Path:
        return self.export_dir or self.data_path / "exports"  # what phones subscribe to: not a cache

    @property
    def cert_cache_path(self) -> Path:
        return self.cert_cache_dir or self.cache_path / "certs"

    @property
    def db_path(self) -> Path:
        return self.db or self.data_path / "bandcoach.sqlite3"


def _parse(name: str, raw: str, kind: str) -> Any:
    """Turn one environment value into the field's type."""
    value = raw.strip()
    if kind == "bool":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ConfigError(f"{name}={raw!r} is not a yes/no value: use 1 or 0")
    if kind == "path":
        return Path(value).expanduser() if value else None
    if kind == "list":
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if kind == "int":
        if not value.isdigit():
            raise ConfigError(f"{name}={raw!r} is not a whole number: use a count such as 20000")
        return int(value)
    return value


def settings_help() -> str:
    """A table of every variable with its default and help, for `--help` and docs/configuration.md."""
    lines = []
    for f in fields(Settings):
        default = _default_text(f)
        shown = f" [default: {default}]" if default else ""
        lines.append(f"  {f.metadata['env']}{shown}\n      {f.metadata['help']}")
    return "\n".join(lines)


def _default_text(f: Field) -> str:
    """A field's default as its environment value would spell it; '' when unset means "none"."""
    if f.default is MISSING or f.default in (None, ()):
        return ""
    if isinstance(f.default, bool):
        return "1" if f.default else "0"
    return str(f.default)


def configuration_markdown() -> str:
    """docs/configuration.md, generated from the fields so the docs cannot drift from the code."""
    rows = ["# Configuration", "",
            "Band Coach reads only environment variables with the prefix `BANDCOACH_` (plus the AWS SDK's own",
            "credentials when DynamoDB or S3 is used). This page is generated by `python -m skill.config`;",
            "a test fails when it is out of date.", "",
            "| variable | default | meaning |", "| --- | --- | --- |"]
    for f in fields(Settings):
        default = _default_text(f)
        rows.append(f"| `{f.metadata['env']}` | {f'`{default}`' if default else ''} | {f.metadata['help']} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(configuration_markdown(), end="")  # noqa: T201 - this module's command-line use is printing the docs
