"""Timeline -> one MP3 segment per exercise block: cached cue clips joined with exactly timed silence.

No audio is re-encoded. Every clip in the prompt cache is constant-bitrate MPEG-2 Layer III in
Alexa's profile, and the first frame of each encode borrows nothing from a bit reservoir, so
clips and pre-encoded silent frames can be concatenated frame by frame. Durations are therefore
quantised to whole frames (24 ms); cue start times are rounded to the nearest frame, which keeps
a segment within half a frame of its timeline length however long it is.

Segments are content-addressed like prompts and stored in the same cache (engine "segment"), so
`/audio/<key>.mp3` serves them and `bandcoach audio prune` trims them. Nothing here synthesises:
a cue whose clip is missing raises MissingPrompts, which tells the operator to warm the cache. A
tone cue (skill.timeline.TONE) is placed like a spoken one; its clip is generated (audio/tones.py)
the first time a cache lacks it, since a tone is a sine and one small encode, not speech.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audio import profile  # the profile's numbers and silence frames; no codecs needed
from audio.cache import AudioCache, Entry, canonical_text
from audio.engines import EngineIdentity
from audio.tones import ensure_tone
from skill.errors import BandCoachError
from skill.segments import block_cues
from skill.timeline import TONE, Cue, Timeline

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bump when the way segments are joined changes: it is part of every segment key."""

SEGMENT_ENGINE = "segment"  # the cache's engine column for rendered segments (stats show them apart)

_MPEG2_L3_24K_MONO = (2.0, 3, profile.SAMPLE_RATE, 1)
_BITRATES_V2_L3 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)


class RenderError(BandCoachError):
    """Audio that cannot be joined without re-encoding (wrong profile, not MP3)."""


class MissingPrompts(BandCoachError):
    """Some cues of a timeline have no clip in the prompt cache."""

    def __init__(self, routine: str, locale: str, missing: Sequence[str]) -> None:
        sample = "; ".join(repr(t[:50]) for t in missing[:3])
        super().__init__(
            f"{len(missing)} cue(s) of routine {routine!r} ({locale}) are not in the audio "
            f"cache, e.g. {sample}: run 'bandcoach audio warm --routine {routine} "
            f"--locale {locale}' (or 'bandcoach export', which warms first)"
        )
        self.missing = list(missing)


@dataclass(frozen=True, slots=True)
class Slot:
    """One cue in a segment plan: its clip (None for a cue with no words) and its timeline slot."""

    clip: Entry | None
    seconds: float


@dataclass(frozen=True, slots=True)
class SegmentPlan:
    """What one block's audio is made of, and the content key that names the result."""

    index: int
    title: str
    locale: str
    slots: tuple[Slot, ...]
    seconds: float  # the block's planned length in the timeline
    key: str


@dataclass(frozen=True, slots=True)
class Segment:
    """One rendered block: its key, file, whole frames, and length in seconds (frames x 24 ms)."""

    index: int
    title: str
    key: str
    path: Path
    frames: int
    created: bool

    @property
    def seconds(self) -> float:
        return self.frames * profile.FRAME_SECONDS

    def read(self) -> bytes:
        return self.path.read_bytes()


# --- MP3 frames -------------------------------------------------------------------------------


def _id3v2_size(data: bytes) -> int:
    """Length of a leading ID3v2 tag (header, body, optional footer), or 0."""
    if len(data) < 10 or data[:3] != b"ID3":
        return 0
    body = (data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F)
    return 10 + body + (10 if data[5] & 0x10 else 0)


def _is_info_frame(frame: bytes) -> bool:
    """Whether a frame is a Xing/Info/VBRI header frame (metadata dressed as a frame, no audio)."""
    return any(tag in frame[4:40] for tag in (b"Xing", b"Info", b"VBRI"))


def _frame_size(header: bytes, pos: int) -> int:
    """Bytes in the frame whose 4-byte header is `header`; RenderError unless it is Alexa's profile."""
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:
        raise RenderError(f"no MP3 frame at byte {pos}: re-create the clip with 'bandcoach audio warm'")
    version = {0b10: 2.0, 0b11: 1.0, 0b00: 2.5}.get((header[1] >> 3) & 3)
    layer = 4 - ((header[1] >> 1) & 3)
    rate_index, bitrate_index = (header[2] >> 2) & 3, (header[2] >> 4) & 0xF
    rate = (22050, 24000, 16000, 0)[rate_index] if version == 2.0 else 0
    channels = 1 if header[3] >> 6 == 3 else 2
    if (version, layer, rate, channels) != _MPEG2_L3_24K_MONO or bitrate_index in (0, 15):
        raise RenderError(f"frame at byte {pos} is MPEG {version} layer {layer}, {rate} Hz, {channels} channel(s): "
                          "only Alexa's profile joins without re-encoding; re-create it with 'bandcoach audio warm'")
    return 72 * _BITRATES_V2_L3[bitrate_index] * 1000 // rate + ((header[2] >> 1) & 1)


def audio_frames(data: bytes) -> tuple[bytes, int]:
    """The audio frames of an MP3 in Alexa's profile, without ID3 tags or a Xing/Info frame.

    Returns (frame bytes, frame count). Raises RenderError on anything that is not MPEG-2
    Layer III, 24 kHz, mono: such frames could not be joined without re-encoding.
    """
    pos, end = _id3v2_size(data), len(data)
    if end - pos >= 128 and data[end - 128:end - 125] == b"TAG":
        end -= 128  # ID3v1 trailer
    out = bytearray()
    count = 0
    while pos < end:
        size = _frame_size(data[pos:pos + 4], pos)
        frame = data[pos:pos + size]
        if len(frame) < size:
            break  # a truncated last frame: decoders drop it too
        if count or not _is_info_frame(frame):
            out += frame
            count += 1
        pos += size
    return bytes(out), count


def silent_frames(count: int) -> bytes:
    """`count` pre-encoded silent frames of the profile (24 ms each)."""
    return profile.SILENT_FRAME * max(0, count)


def frames_for(seconds: float) -> int:
    """Whole frames nearest to `seconds`."""
    return max(0, round(seconds / profile.FRAME_SECONDS))


# --- planning (manifest only: cheap enough for the request path) ------------------------------


def plan_block(cache: AudioCache, timeline: Timeline, index: int, *,
               ident: EngineIdentity | None = None, tones: bool = True) -> SegmentPlan:
    """The plan for block `index`: its clips from the cache (MissingPrompts if any is absent) and its key."""
    return plan_blocks(cache, timeline, [index], ident=ident, tones=tones)[0]


def plan_blocks(cache: AudioCache, timeline: Timeline, indexes: Sequence[int] | None = None, *,
                ident: EngineIdentity | None = None, tones: bool = True) -> list[SegmentPlan]:
    """Plans for the chosen blocks (all by default): each block's cues, then the rest after it.

    With `tones`, each run carries its tone cues (skill.segments.block_cues, as hands-free streams
    it). All spoken clips are found by one manifest query; MissingPrompts names every absent one.
    """
    blocks = [timeline.blocks[i] for i in (range(len(timeline.blocks)) if indexes is None else indexes)]
    runs = [block_cues(timeline, b.index, tones=tones) for b in blocks]
    clips = _clips(cache, [c for run in runs for c in run], timeline.routine.id, timeline.locale, ident)
    return [_plan(run, clips, timeline.locale, b.index, b.exercise.name) for b, run in zip(blocks, runs, strict=True)]


def plan_cues(cache: AudioCache, cues: Sequence[Cue], *, routine: str, locale: str, index: int = 0,
              title: str = "", ident: EngineIdentity | None = None) -> SegmentPlan:
    """A plan for any run of cues (the session mode speaks a block without its rest, say)."""
    return _plan(cues, _clips(cache, cues, routine, locale, ident), locale, index, title)


def _clips(cache: AudioCache, cues: Sequence[Cue], routine: str, locale: str,
           ident: EngineIdentity | None) -> dict[str, Entry]:
    """Clip name -> cached clip for every cue: canonical text for spoken cues (MissingPrompts listing all
    that are absent), then `_tone_name` for tone cues (made on first use)."""
    texts = list(dict.fromkeys(t for c in cues if c.kind != TONE and (t := canonical_text(c.text))))
    found = cache.lookup_each(texts, locale, ident)
    missing = [t for t, e in zip(texts, found, strict=True) if e is None]
    if missing:
        raise MissingPrompts(routine, locale, missing)
    clips = {t: e for t, e in zip(texts, found, strict=True) if e is not None}
    for tone in dict.fromkeys(c.params["tone"] for c in cues if c.kind == TONE):
        clips[_tone_name(tone)] = ensure_tone(cache, tone)
    return clips


def _tone_name(tone: str) -> str:
    """The clips-table name of a tone: no canonical text contains a newline, so it never meets a cue's words."""
    return f"\ntone:{tone}"


def _clip_name(cue: Cue) -> str:
    """Which clip plays a cue: its tone, its words, or nothing ("" for a cue with no words)."""
    return _tone_name(cue.params["tone"]) if cue.kind == TONE else canonical_text(cue.text)


def _plan(cues: Sequence[Cue], clips: dict[str, Entry], locale: str, index: int, title: str) -> SegmentPlan:
    slots = [(_clip_name(c), c.seconds) for c in cues]
    planned = tuple(Slot(clips[t] if t else None, s) for t, s in slots)
    return SegmentPlan(index, title, locale, planned, sum(s for _, s in slots), segment_key(planned))


def segment_key(slots: Sequence[Slot]) -> str:
    """sha256 over the format versions and the ordered (clip key, slot seconds) pairs."""
    payload = {
        "kind": "segment", "format_version": FORMAT_VERSION, "mp3_format_version": profile.FORMAT_VERSION,
        "slots": [[s.clip.key if s.clip else None, round(s.seconds, 3)] for s in slots],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# --- joining ----------------------------------------------------------------------------------


def join(slots: Sequence[Slot], clips: Sequence[bytes | None], seconds: float) -> tuple[bytes, int]:
    """Clips at their cue times and silence between, `seconds` long overall; returns (bytes, frames).

    Each cue starts at the frame nearest its planned start. A clip longer than its slot pushes
    the next cue later by the overrun, which the following silences absorb, so the total still
    matches unless the last words run past the end of the block.
    """
    out = bytearray()
    cursor = 0
    start = 0.0
    for slot, clip in zip(slots, clips, strict=True):
        if clip:
            frames, count = audio_frames(clip)
            at = max(cursor, frames_for(start))
            out += silent_frames(at - cursor)
            out += frames
            cursor = at + count
        start += slot.seconds
    total = frames_for(seconds)
    out += silent_frames(total - cursor)
    return bytes(out), max(total, cursor)


def render_plan(cache: AudioCache, plan: SegmentPlan) -> Segment:
    """The segment for `plan`: from the cache when present, else joined from its clips and kept.

    StorageError (one line, with the fix) when the cache cannot keep it: a segment is only ever
    named (by an index, a URL or an export) once its file is there.
    """
    entry = cache.intact_entry(plan.key)
    if entry is not None:
        return Segment(plan.index, plan.title, plan.key, entry.path, frames_for(entry.duration), False)
    clips = [s.clip.path.read_bytes() if s.clip else None for s in plan.slots]
    data, frames = join(plan.slots, clips, plan.seconds)
    ident = EngineIdentity(SEGMENT_ENGINE, str(FORMAT_VERSION), "joined", "1")
    stored = cache.keep(plan.key, data, ident, plan.locale, f"segment {plan.index}: {plan.title}",
                        frames * profile.FRAME_SECONDS)
    logger.debug("rendered segment %s (%s, %d frames)", plan.key, plan.title, frames)
    return Segment(plan.index, plan.title, plan.key, stored, frames, True)


def render_timeline(cache: AudioCache, timeline: Timeline, *, ident: EngineIdentity | None = None,
                    tones: bool = True) -> list[Segment]:
    """Every block of `timeline` as a segment, in order (with its tone cues unless `tones` is off)."""
    return [render_plan(cache, plan) for plan in plan_blocks(cache, timeline, ident=ident, tones=tones)]

