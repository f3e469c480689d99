"""The plugin contract: the `bandcoach` hook markers and every hook a plugin may implement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pluggy

if TYPE_CHECKING:
    from datetime import datetime

    import click

    from skill.config import Settings
    from skill.progression import Progression, SessionRecord
    from skill.routines import BandLevel, Exercise, Routine
    from skill.timeline import Cue

hookspec = pluggy.HookspecMarker("bandcoach")
hookimpl = pluggy.HookimplMarker("bandcoach")


@dataclass(frozen=True, slots=True)
class Speech:
    """Encoded audio as an engine returns it: the bytes and their container ("mp3" or "wav")."""

    data: bytes
    format: str


@runtime_checkable
class TTSEngine(Protocol):
    """A text-to-speech engine; a plugin's engine only needs these members, no base class.

    `max_workers` is how many `synthesize` calls may run at once (1 = not parallel); `rate` is
    the speaking-rate setting as the engine understands it (it is part of the cache key).
    """

    # Read-only for callers: an engine may hold them as plain attributes or compute them (espeak-ng's
    # version comes from the installed binary).
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def rate(self) -> str: ...

    @property
    def max_workers(self) -> int: ...

    def available(self) -> bool:
        """Whether the engine can speak now; a network engine probes once and remembers."""
        ...

    def voice(self, locale: str) -> str:
        """The engine's voice for a locale such as en-GB."""
        ...

    def synthesize(self, text: str, locale: str) -> Speech:
        """Speak `text`; raise on failure (the caller counts it and goes on)."""
        ...


@hookspec
def bandcoach_exercises() -> list[Exercise]:
    """Exercises this plugin adds to the shared library.

    Exercise ids are unique across all plugins: a second exercise with a taken id is skipped and
    reported with both plugins' names. Routines of any plugin may name any exercise by id.

    :returns: a list of :class:`skill.Exercise`.
    """


@hookspec
def bandcoach_routines() -> list[Routine]:
    """Routines this plugin offers, in their standard length.

    Steps name exercises by id. Shorter and longer variants are derived by the host, so a plugin
    writes each routine once. The host fills in ``Routine.plugin``.

    :returns: a list of :class:`skill.Routine`.
    """


@hookspec
def bandcoach_band_aliases() -> dict[str, BandLevel]:
    """Extra spoken names for band levels, such as band colours.

    :returns: a mapping of lowercase spoken name to :class:`skill.BandLevel`,
        e.g. ``{"yellow": BandLevel.LIGHT}``.
    """


@hookspec
def bandcoach_tts_engines(settings: Settings) -> list[TTSEngine]:
    """Text-to-speech engines this plugin offers.

    ``BANDCOACH_TTS`` chooses among them by name; ``auto`` prefers the first that is available
    in the order polly, piper, gtts, espeak, then any other.

    :param settings: the running configuration.
    :returns: a list of objects that satisfy :class:`skill.TTSEngine`.
    """


@hookspec(firstresult=True)
def bandcoach_cue_text(cue: Cue, locale: str) -> str | None:
    """The words spoken for one cue of a timeline.

    First non-None result wins; return None to defer. The built-in wording is ``trylast``, so a
    plugin can reword any cue kind (or any locale) and defer the rest.

    :param cue: the cue, with its ``kind`` and ``params`` (exercise, counts, seconds, side...).
    :param locale: the request's locale, e.g. ``en-GB``.
    :returns: plain text (no SSML; the host escapes it), or None.
    """


@hookspec(firstresult=True)
def bandcoach_progression(
    routine: Routine, history: Sequence[SessionRecord], band: BandLevel | None, pain: Mapping[str, datetime],
    owned: Sequence[BandLevel],
) -> Progression | None:
    """What to suggest the runner does next time with this routine.

    First non-None result wins; return None to defer. The built-in rule (by routine kind: sets then
    bands for strength, the band only for a warm-up, nothing for a stretch; gated by workouts done and
    how they felt; eased back after a layoff) is ``trylast``.

    :param routine: the routine in its standard form.
    :param history: this runner's completed and stopped sessions of it, oldest first.
    :param band: the band the runner said they use now for this routine (or in general), if any;
        it wins over the band of the last session.
    :param pain: exercise id -> when the runner last said it hurt (the pain path), for the
        exercises that hurt recently; a rule must not push those (no extra set, no heavier band).
    :param owned: the bands the runner has, lightest first; empty when they have not said. A rule
        never suggests a band the runner lacks.
    :returns: a :class:`skill.progression.Progression`, or None.
    """


@hookspec
def bandcoach_register_commands(cli: click.Group) -> None:
    """Add ``bandcoach <command>`` subcommands.

    :param cli: the top-level click group; decorate new commands with ``@cli.command()``.
    """


HOOK_NAMES: tuple[str, ...] = tuple(
    name for name in list(globals()) if name.startswith("bandcoach_")
)
