"""A routine for phones with no network: one chaptered MP3, one MP3 per exercise, playlists, cover, chapters, words.

The files are the cached segments (audio.render) with ID3 tags in front: nothing is re-encoded.
Beside them go an extended M3U for players, a VOD HLS playlist for iPhones and ffmpeg, the cover,
Podcast Index chapters JSON and a WebVTT transcript (audio.chapters), all named `<name>.<ext>`.
Every file is written to a temporary name in the output directory and renamed into place, so a
player or the feed never sees half a file; a failed or stopped write removes its temp file, and
temp files a killed export left are swept on the next one. A write that fails raises
StorageError, one line with the fix. An export whose content key is unchanged is reused.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import APIC, CHAP, COMM, CTOC, ID3, TALB, TIT2, TPE1, TRCK, TXXX, CTOCFlags, ID3NoHeaderError

from audio import artwork, profile  # the profile's numbers and silence frames; no codecs needed
from audio.cache import AudioCache
from audio.chapters import Chapter, chapters_json, spoken_lines, transcript_vtt
from audio.engines import EngineIdentity, describe
from audio.render import Segment, render_timeline
from skill.files import atomic_write, atomic_write_bytes, storage_error, sweep_temp_files
from skill.timeline import Timeline

logger = logging.getLogger(__name__)

FORMAT_VERSION = 3
"""Bump when exported files change for the same segments (tags, names, playlist): forces a rewrite."""

ARTIST = "Band Coach"
EXPORT_KEY = "BANDCOACH_EXPORT"  # TXXX description on a whole-routine file: its content key
PART_OF = "BANDCOACH_PART_OF"  # TXXX description on a per-exercise file: the routine file it belongs to
GOAL = "BANDCOACH_GOAL"  # TXXX description: the routine's goal, the feed item's description
LOCALE = "BANDCOACH_LOCALE"  # TXXX description: the locale spoken, the feed's language
VOICE = "BANDCOACH_VOICE"  # TXXX description: the engine and voice that spoke the prompts
PLACE = "export directory"
ELSEWHERE = "choose another --out directory (or BANDCOACH_EXPORT_DIR)"
STALE_TEMP_SECONDS = 300.0  # a temp file this old belongs to no export still running: a killed one left it
PLAYLIST_SUFFIX = ".m3u"  # extended M3U for players
HLS_SUFFIX = ".m3u8"  # VOD HLS for iPhones (which treat .m3u8 as HLS) and ffmpeg
CHAPTERS_SUFFIX = ".json"
TRANSCRIPT_SUFFIX = ".vtt"
COVER_SUFFIXES = (".png", ".jpg")


@dataclass(frozen=True, slots=True)
class Exported:
    """What one export wrote (or found already written): files, chapters, length, content key."""

    name: str
    title: str
    mp3: Path
    playlist: Path  # extended M3U
    hls: Path  # VOD HLS playlist
    chapter_file: Path
    transcript: Path
    cover: Path
    parts: tuple[Path, ...]
    chapters: tuple[Chapter, ...]
    seconds: float
    key: str
    reused: bool

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file this export consists of."""
        return (self.mp3, *self.parts, self.playlist, self.hls, self.chapter_file, self.transcript, self.cover)


def slugify(text: str) -> str:
    """Lowercase letters, digits and single hyphens: a file name safe on every phone."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "routine"


def chapters_of(segments: Sequence[Segment]) -> tuple[Chapter, ...]:
    """Chapter boundaries from whole frames, so they match the joined audio exactly."""
    chapters, frames = [], 0
    for seg in segments:
        start = frames
        frames += seg.frames
        chapters.append(Chapter(seg.title, round(start * profile.FRAME_SECONDS * 1000),
                                round(frames * profile.FRAME_SECONDS * 1000)))
    return tuple(chapters)


def voice_text(ident: EngineIdentity | None) -> str:
    """Which voice made the audio, for people (audio.engines.describe), or "an unknown voice"."""
    return describe(ident) if ident is not None else "an unknown voice"


def export_key(segments: Sequence[Segment], title: str, goal: str, cover: bytes | None, voice: str,
               locale: str) -> str:
    """sha256 over everything that changes the exported bytes (a drawn cover: the drawing's version and title)."""
    drawn = f"drawn:{artwork.VERSION}"
    payload = {"format_version": FORMAT_VERSION, "segments": [s.key for s in segments], "title": title,
               "goal": goal, "cover": hashlib.sha256(cover).hexdigest() if cover else drawn, "voice": voice,
               "locale": locale}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def read_tags(path: Path) -> ID3 | None:
    """The ID3 tag of a file, or None when it is absent, has no tag, or the tag cannot be read."""
    if not path.is_file():
        return None
    try:
        return ID3(path)
    except (ID3NoHeaderError, OSError):
        return None
    except Exception:  # a damaged tag is treated like no tag: the export is rewritten
        logger.warning("unreadable ID3 tag in %s; treating it as absent", path)
        return None


def txxx(tags: ID3 | None, description: str) -> str | None:
    """The text of the TXXX frame with this description, or None."""
    frame = tags.get(f"TXXX:{description}") if tags is not None else None
    return str(frame.text[0]) if frame is not None and frame.text else None


def part_names(name: str, segments: Sequence[Segment]) -> list[str]:
    """`<name>-NN-<exercise>.mp3` for each exercise, numbered from 01."""
    return [f"{name}-{i + 1:02d}-{slugify(seg.title)}.mp3" for i, seg in enumerate(segments)]


def cover_path(out_dir: Path, name: str) -> Path | None:
    """The routine's cover image beside its MP3 (PNG or JPEG), if there is one."""
    return next((p for p in (out_dir / f"{name}{s}" for s in COVER_SUFFIXES) if p.is_file()), None)


def export_timeline(
    cache: AudioCache, timeline: Timeline, out_dir: Path, *, name: str, title: str, cover: Path | None = None,
    tones: bool = True,
) -> Exported:
    """Write `<name>.mp3` (chaptered), `<name>-NN-<exercise>.mp3`, playlists, cover, chapters and transcript.

    Segments come from the cache (MissingPrompts when a cue was never warmed; StorageError when
    the cache cannot keep a new segment). Without `cover` a cover is drawn (audio.artwork). When the
    files already hold this content key, nothing is written and `reused` is True. A file that cannot
    be written raises StorageError; the files already renamed into place are whole, and no temp file is left.
    """
    with writing(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        sweep_temp_files(out_dir, older_than=STALE_TEMP_SECONDS)
    segments = render_timeline(cache, timeline, tones=tones)  # tone cues unless BANDCOACH_TONES=0
    voice = voice_text(cache.identity_for(timeline.locale))
    given = cover.read_bytes() if cover else None
    cover_is_png = given is None or artwork.picture_type(given)[0] == "image/png"  # NotACover for anything else
    goal = timeline.routine.goal
    key = export_key(segments, title, goal, given, voice, timeline.locale)
    chapters = chapters_of(segments)
    whole = out_dir / f"{name}.mp3"
    parts = [out_dir / p for p in part_names(name, segments)]
    done = Exported(name, title, whole, out_dir / f"{name}{PLAYLIST_SUFFIX}", out_dir / f"{name}{HLS_SUFFIX}",
                    out_dir / f"{name}{CHAPTERS_SUFFIX}", out_dir / f"{name}{TRANSCRIPT_SUFFIX}",
                    out_dir / f"{name}{'.png' if cover_is_png else '.jpg'}", tuple(parts), chapters,
                    sum(s.seconds for s in segments), key, reused=False)
    if (txxx(read_tags(whole), EXPORT_KEY) == key and all(p.is_file() for p in done.files)
            and all(txxx(read_tags(p), EXPORT_KEY) == key for p in parts)):
        return dataclasses.replace(done, reused=True)
    cover_bytes = given or artwork.square_png(artwork.COVER_SIZE, title, ARTIST)  # drawn only when writing
    tagging = _Tagging(title, goal, key, voice, timeline.locale, cover_bytes, cover_is_png)
    audio = [seg.read() for seg in segments]  # each segment file read once, for its part and the whole
    with writing(out_dir):
        for i, (seg, data, path) in enumerate(zip(segments, audio, parts, strict=True)):
            tags = tagging.tags(seg.title)
            tags.add(TRCK(encoding=3, text=f"{i + 1}/{len(segments)}"))
            tags.add(TXXX(encoding=3, desc=PART_OF, text=whole.name))
            _write_mp3(path, data, tags)
        tags = tagging.tags(title)
        _add_chapters(tags, title, chapters)
        _write_mp3(whole, b"".join(audio), tags, chapters_in_order=True)
        atomic_write_bytes(done.playlist, playlist_text(title, segments, [p.name for p in parts]).encode())
        atomic_write_bytes(done.hls, hls_text(whole.name, _tag_size(whole), segments, audio).encode())
        atomic_write_bytes(done.chapter_file, chapters_json(title, chapters))
        atomic_write_bytes(done.transcript, transcript_vtt(spoken_lines(timeline, chapters)))
        for other in COVER_SUFFIXES:  # a cover of the other type from an earlier export would be listed twice
            if (stale := out_dir / f"{name}{other}") != done.cover:
                stale.unlink(missing_ok=True)
        atomic_write_bytes(done.cover, cover_bytes)
    logger.info("exported %s (%d exercises, %.0f s)", whole, len(segments), done.seconds)
    return done


@contextlib.contextmanager
def writing(out_dir: Path) -> Iterator[None]:
    """Turn a failed write into the export directory (mutagen wraps OSError in its own error) into StorageError."""
    try:
        yield
    except OSError as exc:
        raise storage_error(PLACE, out_dir, exc, elsewhere=ELSEWHERE) from exc
    except MutagenError as exc:
        if not isinstance(exc.__cause__ or exc.__context__, OSError):
            raise  # a tagging problem, not the disk
        raise storage_error(PLACE, out_dir, exc, elsewhere=ELSEWHERE) from exc


@dataclass(frozen=True, slots=True)
class _Tagging:
    """The tags every file of one export shares."""

    album: str
    goal: str
    key: str
    voice: str
    locale: str
    cover: bytes
    cover_is_png: bool

    def tags(self, title: str) -> ID3:
        """A fresh tag titled `title` with the shared frames: artist, album, goal, key, locale, voice, cover."""
        tags = ID3()
        tags.add(TIT2(encoding=3, text=title))
        tags.add(TPE1(encoding=3, text=ARTIST))
        tags.add(TALB(encoding=3, text=self.album))
        tags.add(COMM(encoding=3, lang="eng", desc="", text=f"{self.goal} Voice: {self.voice}."))
        tags.add(TXXX(encoding=3, desc=EXPORT_KEY, text=self.key))
        tags.add(TXXX(encoding=3, desc=GOAL, text=self.goal))
        tags.add(TXXX(encoding=3, desc=LOCALE, text=self.locale))
        tags.add(TXXX(encoding=3, desc=VOICE, text=self.voice))
        tags.add(APIC(encoding=3, mime="image/png" if self.cover_is_png else "image/jpeg", type=3, desc="Cover",
                      data=self.cover))
        return tags


def _add_chapters(tags: ID3, title: str, chapters: Sequence[Chapter]) -> None:
    """CHAP frames per exercise and a top-level ordered CTOC titled like the routine, so players list and skip."""
    ids = [f"ch{i}" for i in range(len(chapters))]
    tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids,
                  sub_frames=[TIT2(encoding=3, text=title)]))
    for element_id, chapter in zip(ids, chapters, strict=True):
        tags.add(CHAP(element_id=element_id, start_time=chapter.start_ms, end_time=chapter.end_ms,
                      start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                      sub_frames=[TIT2(encoding=3, text=chapter.title)]))


def _write_mp3(path: Path, audio: bytes, tags: ID3, *, chapters_in_order: bool = False) -> None:
    def write(tmp: Path) -> None:
        tmp.write_bytes(audio)
        tags.save(tmp, v2_version=4)
        if chapters_in_order:
            with tmp.open("r+b") as file:
                head = file.read(10)
                size = _syncsafe(head[6:10])
                body = file.read(size)
                file.seek(10)
                file.write(frames_in_chapter_order(body))

    atomic_write(path, write)


def frames_in_chapter_order(body: bytes) -> bytes:
    """An ID3v2.4 tag body with its CTOC and CHAP frames moved after the others, the CHAPs in chapter order.

    mutagen writes frames sorted by size, and ffmpeg (so most Android and desktop players) lists CHAP
    frames in file order, ignoring CTOC. Frames are moved whole, so the tag keeps its size.
    """
    frames: list[tuple[str, bytes]] = []
    at = 0
    while at + 10 <= len(body) and body[at] != 0:  # zero bytes: the padding after the last frame
        size = 10 + _syncsafe(body[at + 4:at + 8])
        frames.append((body[at:at + 4].decode("latin-1"), body[at:at + size]))
        at += size
    padding = body[at:]
    others = [f for kind, f in frames if kind not in ("CHAP", "CTOC")]
    tocs = [f for kind, f in frames if kind == "CTOC"]
    chaps = sorted((f for kind, f in frames if kind == "CHAP"), key=_chapter_number)
    return b"".join([*others, *tocs, *chaps]) + padding


def _chapter_number(frame: bytes) -> int:
    """The n of a CHAP frame whose element id is `ch<n>` (the id starts its body, NUL-terminated)."""
    element_id = frame[10:frame.index(b"\0", 10)].decode("latin-1")
    return int(element_id.removeprefix("ch"))


def _syncsafe(four: bytes) -> int:
    """An ID3v2.4 size: four bytes of seven bits each."""
    return four[0] << 21 | four[1] << 14 | four[2] << 7 | four[3]


def playlist_text(title: str, segments: Sequence[Segment], names: Sequence[str]) -> str:
    """An extended M3U for players: #EXTINF with whole seconds and the exercise, then its file (a relative path)."""
    lines = ["#EXTM3U", f"#PLAYLIST:{title}"]
    for seg, name in zip(segments, names, strict=True):
        lines += [f"#EXTINF:{round(seg.seconds)},{seg.title}", name]
    return "\n".join(lines) + "\n"


def hls_text(whole: str, tag_size: int, segments: Sequence[Segment], audio: Sequence[bytes]) -> str:
    """A VOD HLS media playlist (RFC 8216): complete, ended, never reloaded; one byte range of `whole` per exercise.

    The ranges hold the MP3 frames alone, after the file's ID3 tag: ffmpeg (5.1) times segments
    that carry their own tag wrongly (the timestamp lands a few frames early), and plain frames
    join back to back without a gap. The server answers ranges (/exports/).
    """
    target = max((math.ceil(s.seconds) for s in segments), default=1)
    lines = ["#EXTM3U", "#EXT-X-VERSION:4", f"#EXT-X-TARGETDURATION:{target}", "#EXT-X-MEDIA-SEQUENCE:0",
             "#EXT-X-PLAYLIST-TYPE:VOD"]
    offset = tag_size
    for seg, data in zip(segments, audio, strict=True):
        lines += [f"#EXTINF:{seg.seconds:.3f},{seg.title}", f"#EXT-X-BYTERANGE:{len(data)}@{offset}", whole]
        offset += len(data)
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _tag_size(path: Path) -> int:
    """Bytes of the ID3v2 tag (header included) at the start of `path`: where its audio frames begin."""
    with path.open("rb") as file:
        head = file.read(10)
    return 10 + _syncsafe(head[6:10]) if head[:3] == b"ID3" else 0
