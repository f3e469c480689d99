"""build_runtime(): settings, plugins, catalog, state store and the ask-sdk endpoint, built once per process.

Flask-free on purpose: the Flask front door (skill.web.app) and the Lambda entry point
(skill.lambda_handler) both build their skill here, so the two doors answer alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from skill.catalog import Catalog
from skill.config import SKILL_ID_MISSING, Settings
from skill.handlers import Deps, build_skill
from skill.handlers.endpoint import SkillEndpoint, check_application_id
from skill.handlers.voice import Voice
from skill.plugins import BandCoachPluginManager, make_plugin_manager
from skill.segments import SegmentSource
from skill.state import Store, make_store
from skill.state.health import StoreHealth, WatchedStore

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    """What a front door builds once at start: settings, plugins, catalog, the ask-sdk endpoint, store health."""

    settings: Settings
    pm: BandCoachPluginManager
    catalog: Catalog
    endpoint: SkillEndpoint
    store_health: StoreHealth = field(default_factory=StoreHealth)
    store: Store | None = None  # the store the skill reads and writes (benchmarks and tests look inside it)

    def check_skill_id(self, envelope: dict[str, Any]) -> None:
        """Refuse (VerificationError) an envelope for another skill; both doors.

        With BANDCOACH_SKILL_ID unset, the web door with verification on refuses every request
        (Settings.skill_id_missing) unless BANDCOACH_ALLOW_ANY_SKILL=1; without verification
        (the Lambda door, local development) any skill passes.
        """
        check_application_id(envelope, self.settings.skill_id, required=self.settings.skill_id_missing)

    def problems(self) -> list[str]:
        """What keeps this runtime from serving runners properly, each with its fix (/healthz shows them)."""
        found = [SKILL_ID_MISSING] if self.settings.skill_id_missing else []
        found += [f"state store {f.kind}s are failing ({f.cause}) since {f.since.isoformat(timespec='seconds')}; "
                  "the log has the fix" for f in self.store_health.faults()]
        return found


def build_runtime(
    settings: Settings | None = None, *, pm: BandCoachPluginManager | None = None, migrate: bool = True,
) -> Runtime:
    """Settings, plugins and the skill, built once per process (hooks never run per request).

    `migrate=False` leaves the store's schema to whoever deployed it (the Lambda's stack owns its
    DynamoDB table). Request verification is the web door's own (skill.web.app builds the verifier).
    """
    settings = settings or Settings.from_env()
    pm = pm or make_plugin_manager(settings)
    catalog = Catalog.build(pm)
    if not catalog.routines:  # runners only hear that there is nothing to offer; the fix is here
        logger.warning("no routines loaded: check BANDCOACH_LOAD_PLUGINS and run 'bandcoach plugins' for failures")
    store = make_store(settings)
    if migrate:
        store.migrate()  # a store that cannot start raises StateError here: one line with the fix, no server
    health = StoreHealth()
    segments = segment_source(settings)  # one per process: the S3 index is fetched once, not per handler
    watched = WatchedStore(store, health)
    deps = Deps(catalog=catalog, settings=settings, store=watched,
                speech=Voice.for_settings(settings, segments), segments=segments)
    skill = build_skill(deps)
    return Runtime(settings, pm, catalog, SkillEndpoint(skill), health, watched)


def segment_source(settings: Settings) -> SegmentSource:
    """The source BANDCOACH_AUDIO_STORE chooses: the published S3 index (s3) or the local cache (local)."""
    if settings.audio_store == "s3":
        from audio.s3 import S3SegmentIndex  # botocore loads only for this backend

        return S3SegmentIndex.from_settings(settings)
    from audio.local import LocalSegments

    return LocalSegments(settings.audio_path)
