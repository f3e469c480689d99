"""An export's chapters and words as the podcast namespace wants them: chapters JSON and a WebVTT transcript.

Both come from the timeline already rendered, not from listening: a chapter is an exercise's
segment (whole frames, as audio.export measured it) and a transcript cue is a spoken line at the
frame where the renderer placed it (its block's start plus its timeline slot, rounded to a frame).
Podcast apps read them through `podcast:chapters` and `podcast:transcript`; they sit beside the MP3.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from audio import profile
from skill.timeline import Timeline

CHAPTERS_TYPE = "application/json+chapters"  # the podcast namespace's type for chapters JSON
CHAPTERS_VERSION = "1.2.0"  # Podcast Index JSON chapters format version
TRANSCRIPT_TYPE = "text/vtt"


@dataclass(frozen=True, slots=True)
class Chapter:
    """One exercise inside the whole-routine file: its title and where it starts and ends (ms)."""

    title: str
    start_ms: int
    end_ms: int


def chapters_json(title: str, chapters: Sequence[Chapter]) -> bytes:
    """Podcast Index JSON chapters (version 1.2.0): one entry per exercise, in order, times in seconds."""
    document = {
        "version": CHAPTERS_VERSION,
        "title": title,
        "chapters": [{"startTime": c.start_ms / 1000, "endTime": c.end_ms / 1000, "title": c.title}
                     for c in chapters],
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True, slots=True)
class Line:
    """One spoken line of the transcript: where it starts and ends (ms) and its words."""

    start_ms: int
    end_ms: int
    text: str


def spoken_lines(timeline: Timeline, chapters: Sequence[Chapter]) -> list[Line]:
    """Every cue with words, timed as the renderer joined it: block start plus the cue's slot start, to a frame.

    A line lasts until the next cue starts (its slot), and never past its block's end.
    """
    lines = []
    for block, chapter in zip(timeline.blocks, chapters, strict=True):
        offset = 0.0
        for cue in (*block.cues, *block.rest):
            start = chapter.start_ms + _frame_ms(offset)
            offset += cue.seconds
            end = min(chapter.start_ms + _frame_ms(offset), chapter.end_ms)
            if cue.text.strip() and end > start:
                lines.append(Line(start, end, " ".join(cue.text.split())))
    return lines


def transcript_vtt(lines: Sequence[Line]) -> bytes:
    """A WebVTT file with one cue per spoken line."""
    out = ["WEBVTT", ""]
    for number, line in enumerate(lines, start=1):
        out += [str(number), f"{_timestamp(line.start_ms)} --> {_timestamp(line.end_ms)}", _escape(line.text), ""]
    return "\n".join(out).encode()


def _frame_ms(seconds: float) -> int:
    """`seconds` rounded to the nearest whole frame, in ms (where audio.render starts a cue)."""
    return round(round(seconds / profile.FRAME_SECONDS) * profile.FRAME_SECONDS * 1000)


def _timestamp(ms: int) -> str:
    """WebVTT's HH:MM:SS.mmm."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _escape(text: str) -> str:
    """Cue text with WebVTT's three special characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
