"""A routine for phones with no network: one chaptered MP3, one MP3 per exercise, and an M3U playlist.

The files are the cached segments (audio.render) with ID3 tags in front: nothing is re-encoded.
Every file is written to a temporary name in the output directory and renamed into place, so a
player or the feed never sees half a file; a failed or stopped write removes its temp file, and
temp files a killed export left are swept on the next one. A write that fails raises
StorageError, one line with the fix. An export whose content key is unchanged is reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import APIC, CHAP, COMM, CTOC, ID3, TALB, TIT2, TPE1, TRCK, TXXX, CTOCFlags, ID3NoHeaderError

from audio import profile  # the profile's numbers and silence frames; no codecs needed
from audio.cache import AudioCache
from audio.render import Segment, render_timeline
from skill.files import atomic_write, atomic_write_bytes, storage_error, sweep_temp_files
from skill.timeline import Timeline

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bump when exported files change for the same segments (tags, names, playlist): forces a rewrite."""

ARTIST = "Band Coach"
EXPORT_KEY = "BANDCOACH_EXPORT"  # TXXX description on a whole-routine file: its content key
PART_OF = "BANDCOACH_PART_OF"  # TXXX description on a per-exercise file: the routine file it belongs to
GOAL = "BANDCOACH_GOAL"  # TXXX description: the routine's goal, the feed item's description
PLACE = "export directory"
ELSEWHERE = "choose another --out directory (or BANDCOACH_EXPORT_DIR)"
STALE_TEMP_SECONDS = 300.0  # a temp file this old belongs to no export still running: a killed one left it


@dataclass(frozen=True, slots=True)
class Chapter:
    """One exercise inside the whole-routine file: its title and where it starts and ends (ms)."""

    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class Exported:
    """What one export wrote (or found already written): files, chapters, length, content key."""

    name: str
    title: str
    mp3: Path
    playlist: Path
    parts: tuple[Path, ...]
    chapters: tuple[Chapter, ...]
    seconds: float
    key: str
    reused: bool


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


def export_key(segments: Sequence[Segment], title: str, goal: str, cover: bytes | None) -> str:
    """sha256 over everything that changes the exported bytes."""
    payload = {"format_version": FORMAT_VERSION, "segments": [s.key for s in segments], "title": title,
               "goal": goal, "cover": hashlib.sha256(cover).hexdigest() if cover else None}
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
    frame = tags.get(f"TXXX:{description}") if tags is not None else None
    return str(frame.text[0]) if frame is not None and frame.text else None


def part_names(name: str, segments: Sequence[Segment]) -> list[str]:
    return [f"{name}-{i + 1:02d}-{slugify(seg.title)}.mp3" for i, seg in enumerate(segments)]


def export_timeline(
    cache: AudioCache, timeline: Timeline, out_dir: Path, *, name: str, title: str, cover: Path | None = None,
) -> Exported:
    """Write `<name>.mp3` (chaptered), `<name>-NN-<exercise>.mp3` and `<name>.m3u8` into `out_dir`.

    Segments come from the cache (MissingPrompts when a cue was never warmed; StorageError when
    the cache cannot keep a new segment). When the files already hold this content key, nothing is
    written and `reused` is True. A file that cannot be written raises StorageError; the files
    already renamed into place are whole, and no temp file is left.
    """
    with writing(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        sweep_temp_files(out_dir, older_than=STALE_TEMP_SECONDS)
    segments = render_timeline(cache, timeline)
    cover_bytes = cover.read_bytes() if cover else None
    goal = timeline.routine.goal
    key = export_key(segments, title, goal, cover_bytes)
    chapters = chapters_of(segments)
    whole, playlist = out_dir / f"{name}.mp3", out_dir / f"{name}.m3u8"
    parts = [out_dir / p for p in part_names(name, segments)]
    seconds = sum(s.seconds for s in segments)
    reused = (txxx(read_tags(whole), EXPORT_KEY) == key and playlist.exists()
              and all(txxx(read_tags(p), EXPORT_KEY) == key for p in parts))
    if not reused:
        audio = [seg.read() for seg in segments]  # each segment file read once, for its part and the whole
        with writing(out_dir):
            for i, (seg, data, path) in enumerate(zip(segments, audio, parts, strict=True)):
                tags = _common_tags(title, goal, key, cover_bytes, cover)
                tags.add(TIT2(encoding=3, text=seg.title))
                tags.add(TRCK(encoding=3, text=f"{i + 1}/{len(segments)}"))
                tags.add(TXXX(encoding=3, desc=PART_OF, text=whole.name))
                _write_mp3(path, data, tags)
            tags = _common_tags(title, goal, key, cover_bytes, cover)
            tags.add(TIT2(encoding=3, text=title))
            _add_chapters(tags, chapters)
            _write_mp3(whole, b"".join(audio), tags)
            atomic_write_bytes(playlist, playlist_text(title, segments, [p.name for p in parts]).encode())
        logger.info("exported %s (%d exercises, %.0f s)", whole, len(segments), seconds)
    return Exported(name, title, whole, playlist, tuple(parts), chapters, seconds, key, reused)


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


def _common_tags(title: str, goal: str, key: str, cover_bytes: bytes | None, cover: Path | None) -> ID3:
    tags = ID3()
    tags.add(TPE1(encoding=3, text=ARTIST))
    tags.add(TALB(encoding=3, text=title))
    tags.add(COMM(encoding=3, lang="eng", desc="", text=goal))
    tags.add(TXXX(encoding=3, desc=EXPORT_KEY, text=key))
    tags.add(TXXX(encoding=3, desc=GOAL, text=goal))
    if cover_bytes is not None and cover is not None:
        mime = "image/png" if cover.suffix.lower() == ".png" else "image/jpeg"
        tags.add(APIC(encoding=3, mime=mime, type=3, desc="Cover", data=cover_bytes))
    return tags


def _add_chapters(tags: ID3, chapters: Sequence[Chapter]) -> None:
    """CHAP frames per exercise and a top-level ordered CTOC, so players list and skip exercises."""
    ids = [f"ch{i}" for i in range(len(chapters))]
    tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids,
                  sub_frames=[TIT2(encoding=3, text="Exercises")]))
    for element_id, chapter in zip(ids, chapters, strict=True):
        tags.add(CHAP(element_id=element_id, start_time=chapter.start_ms, end_time=chapter.end_ms,
                      start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                      sub_frames=[TIT2(encoding=3, text=chapter.title)]))


def _write_mp3(path: Path, audio: bytes, tags: ID3) -> None:
    def write(tmp: Path) -> None:
        tmp.write_bytes(audio)
        tags.save(tmp, v2_version=4)

    atomic_write(path, write)


def playlist_text(title: str, segments: Sequence[Segment], names: Sequence[str]) -> str:
    """An extended M3U (UTF-8, .m3u8): one #EXTINF line with whole seconds and a title per exercise."""
    lines = ["#EXTM3U", f"#PLAYLIST:{title}"]
    for seg, name in zip(segments, names, strict=True):
        lines += [f"#EXTINF:{round(seg.seconds)},{seg.title}", name]
    return "\n".join(lines) + "\n"
