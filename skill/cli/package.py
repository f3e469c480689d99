"""`bandcoach package build|check`: the skill package in the ASK CLI's layout, ready for `ask deploy`.

The manifest's words (names, descriptions, example phrases, privacy answers) are written by hand in
skill-package/skill.json; what can be made is made here: the interaction models (both folders), the
108 and 512 px icons and their URIs, and the endpoint. `package check` holds the package to what
certification and the ASK CLI need (docs/deploy.md, "The skill package").
"""

from __future__ import annotations

import io
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from skill.catalog import Catalog
from skill.cli.params import project_dir, project_option
from skill.config import LOCALES

if TYPE_CHECKING:
    from skill.testing.utterances import UtteranceResolver

PACKAGE_DIR = Path("skill-package")
MANIFEST = PACKAGE_DIR / "skill.json"
ASK_RESOURCES = Path("ask-resources.json")
# Alexa's icon sizes, and where the ASK CLI looks for a file:// URI: relative to skill-package/.
ICONS = {"smallIconUri": ("assets/images/small-icon-108.png", 108),
         "largeIconUri": ("assets/images/large-icon-512.png", 512)}
INTERFACES = ("AUDIO_PLAYER", "CAN_FULFILL_INTENT_REQUEST")
PRIVACY_ANSWERS = ("allowsPurchases", "usesPersonalInfo", "isChildDirected", "isExportCompliant", "containsAds")
CERTIFICATES = ("Trusted", "Wildcard", "SelfSigned")
_LAMBDA_ARN = re.compile(r"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(?::[A-Za-z0-9_$-]+)?$")
_HTTPS = re.compile(r"^https://[A-Za-z0-9.-]+(?::443)?(?:/\S*)?$")
_WAKE_AND_LAUNCH = re.compile(r"^alexa,? ", re.I)


def register(cli: click.Group) -> None:
    """Add the `package` group to the `bandcoach` group."""
    cli.add_command(package)


@click.group()
def package() -> None:
    """Make and check the skill package (skill-package/, ask-resources.json) for the ASK CLI."""


@package.command("build")
@project_option
@click.option("--endpoint", help="The skill's endpoint: an https:// URL (port 443) or a Lambda function ARN.")
@click.option("--certificate", type=click.Choice(CERTIFICATES), default="Trusted", show_default=True,
              help="The https endpoint's certificate, as Alexa asks (ignored for a Lambda ARN).")
@click.pass_obj
def build(obj: Any, root: Path | None, endpoint: str | None, certificate: str) -> None:
    """Write the models, the icons and their URIs (and the endpoint, with --endpoint) into skill-package/."""
    from skill.model import write_project_models

    entry = endpoint_entry(endpoint, certificate) if endpoint is not None else None  # refused before any write
    root = project_dir(root)
    manifest = _read_manifest(root)
    try:
        write_project_models(obj.catalog, root)
        for uri_key, (relative, size) in ICONS.items():
            path = root / PACKAGE_DIR / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(icon_png(size))
            for info in manifest["manifest"]["publishingInformation"]["locales"].values():
                info[uri_key] = f"file://{relative}"
        if entry is not None:
            manifest["manifest"]["apis"]["custom"]["endpoint"] = entry
        (root / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write the skill package under {root}: {exc.strerror or exc}; "
                                   "pass --dir DIR with a project folder you can write") from None
    where = manifest["manifest"]["apis"]["custom"].get("endpoint", {}).get("uri", "no endpoint yet: add --endpoint")
    click.echo(f"wrote {root / PACKAGE_DIR}/ (models for {len(LOCALES)} locales, icons, endpoint: {where})")


@package.command("check")
@project_option
@click.pass_obj
def check(obj: Any, root: Path | None) -> None:
    """Exit non-zero, listing each problem, when the package is not what `ask deploy` and certification need."""
    root = project_dir(root)
    found = package_problems(root, obj.catalog)
    if found:
        raise click.ClickException(f"the skill package has {len(found)} problem(s):\n  " + "\n  ".join(found))
    click.echo(f"skill package ready ({len(LOCALES)} locales) in {root / PACKAGE_DIR}")


def icon_png(size: int) -> bytes:
    """The skill's icon at `size` px: the podcast cover's motif, without words (too small to read)."""
    from audio.artwork import square_png

    return square_png(size, "")


def endpoint_entry(uri: str, certificate: str = "Trusted") -> dict[str, str]:
    """apis.custom.endpoint for `uri`; a usage error naming the two forms Alexa accepts for anything else."""
    if _LAMBDA_ARN.match(uri):
        return {"uri": uri}
    if _HTTPS.match(uri):
        return {"uri": uri, "sslCertificateType": certificate}
    raise click.BadParameter(f"{uri!r} is neither an https:// URL on port 443 (https://coach.example.com/alexa) "
                             "nor a Lambda ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)",
                             param_hint="'--endpoint'")


def _read_manifest(root: Path) -> dict[str, Any]:
    """skill-package/skill.json under `root`, or a one-line error saying what is wrong with it."""
    path = root / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}; run from a Band Coach checkout "
                                   "or pass --dir") from None
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}") from None
    return manifest


def package_problems(root: Path, catalog: Catalog) -> list[str]:
    """Everything in the package under `root` that the ASK CLI or certification would refuse; [] when none."""
    from skill.model import stale_project_models

    manifest = _read_manifest(root)["manifest"]
    found = [f"{name} is out of date: run 'bandcoach package build'" for name in stale_project_models(catalog, root)]
    found += _locale_problems(root, manifest, catalog)
    interfaces = {i.get("type") for i in manifest.get("apis", {}).get("custom", {}).get("interfaces", [])}
    found += [f"apis.custom.interfaces lacks {name}" for name in INTERFACES if name not in interfaces]
    privacy = manifest.get("privacyAndCompliance", {})
    found += [f"privacyAndCompliance.{key} is not answered (true or false)" for key in PRIVACY_ANSWERS
              if not isinstance(privacy.get(key), bool)]
    endpoint = manifest.get("apis", {}).get("custom", {}).get("endpoint")
    uri = str((endpoint or {}).get("uri", ""))
    if endpoint is not None and not (_LAMBDA_ARN.match(uri) or _HTTPS.match(uri)):
        found.append(f"apis.custom.endpoint {uri!r}: set it with 'bandcoach package build --endpoint'")
    found += _resources_problems(root)
    return found


def _locale_problems(root: Path, manifest: dict[str, Any], catalog: Catalog) -> list[str]:
    """Every locale published, with its words, icons that exist at Alexa's sizes, and example phrases the
    locale's model resolves (certification's first check)."""
    from skill.model import build_model, render

    locales = manifest.get("publishingInformation", {}).get("locales", {})
    found = [f"publishingInformation.locales lacks {locale}" for locale in LOCALES if locale not in locales]
    for locale, info in locales.items():
        where = f"publishingInformation.locales.{locale}"
        found += [f"{where}.{key} is empty" for key in ("name", "summary", "description", "examplePhrases", "keywords")
                  if not info.get(key)]
        for uri_key, (relative, size) in ICONS.items():
            if info.get(uri_key) != f"file://{relative}":
                found.append(f"{where}.{uri_key} is not file://{relative}: run 'bandcoach package build'")
            elif _png_size(root / PACKAGE_DIR / relative) != (size, size):
                found.append(f"{PACKAGE_DIR / relative} is not a {size} px square PNG: run 'bandcoach package build'")
        if locale not in LOCALES:
            continue
        phrases = info.get("examplePhrases") or []
        if len(phrases) > 3:
            found.append(f"{where}.examplePhrases has {len(phrases)}; Alexa shows at most 3")
        resolver = _resolver(render(build_model(catalog, locale)))
        for phrase in phrases:
            spoken = _WAKE_AND_LAUNCH.sub("", phrase.strip())
            match = resolver.match(spoken)
            if not _WAKE_AND_LAUNCH.match(phrase) or match is None or not match.launched:
                found.append(f"{where} example {phrase!r} is not 'Alexa, <launch> band coach ...' with a sample "
                             "utterance of the model")
            elif any(slot.custom and slot.resolved_id is None for slot in match.slots.values()):
                found.append(f"{where} example {phrase!r} names a slot value the model does not have")
    return found


@lru_cache(maxsize=2)
def _resolver(model_json: str) -> UtteranceResolver:
    """A resolver per distinct model (the English locales share one, and it takes seconds to compile)."""
    from skill.testing.utterances import UtteranceResolver

    return UtteranceResolver(json.loads(model_json))


def _png_size(path: Path) -> tuple[int, int] | None:
    """The width and height of the PNG at `path`, or None when it is missing or not a PNG."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(path.read_bytes())) as image:
            return image.size if image.format == "PNG" else None
    except (OSError, UnidentifiedImageError):
        return None


def _resources_problems(root: Path) -> list[str]:
    """ask-resources.json names skill-package/ as the skill metadata of its profiles."""
    path = root / ASK_RESOURCES
    try:
        resources = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{ASK_RESOURCES} is missing or not JSON ({exc}): the ASK CLI needs it at the project root"]
    profiles = resources.get("profiles") or {}
    sources = {p.get("skillMetadata", {}).get("src", "").rstrip("/") for p in profiles.values()}
    if not profiles or sources != {f"./{PACKAGE_DIR}"}:
        return [f"{ASK_RESOURCES}: every profile's skillMetadata.src must be ./{PACKAGE_DIR}"]
    return []
