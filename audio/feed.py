"""A podcast feed (RSS 2.0 with the iTunes namespace) of every routine exported into a directory.

The feed is built from the files themselves (their ID3 tags, sizes and times), so it lists exactly
what is on disk, whoever exported it and whatever URL it is served under.
"""

from __future__ import annotations

import email.utils
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast
from urllib.parse import quote

import mutagen
import mutagen.mp3
from mutagen.id3 import ID3

from audio.export import ARTIST, EXPORT_KEY, GOAL, PART_OF, txxx, writing
from skill.files import atomic_write_bytes

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
FEED_NAME = "feed.xml"
TITLE = "Band Coach workouts"
DESCRIPTION = "Resistance-band routines for runners, coached out loud, with a chapter per exercise."
CATEGORY = ("Health & Fitness", "Fitness")

logger = logging.getLogger(__name__)

ET.register_namespace("itunes", ITUNES)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One exported routine as the feed lists it."""

    name: str  # file name in the export directory
    title: str
    description: str
    seconds: float
    size: int
    guid: str
    published: datetime


def scan(out_dir: Path) -> list[FeedItem]:
    """Every whole-routine export in `out_dir` (per-exercise files are left out), newest first."""
    items = []
    for path in sorted(Path(out_dir).glob("*.mp3")):
        if path.name.startswith(".") or not path.is_file():
            continue
        audio = _parse(path)  # tags and length from one parse: this runs on every GET /feed.xml
        # mutagen declares FileType.tags and .info as None; an MP3's tags are an ID3 (or None), its info an MPEGInfo.
        tags: object = audio.tags if audio is not None else None
        if audio is None or not isinstance(tags, ID3):
            continue
        key = txxx(tags, EXPORT_KEY)
        if key is None or txxx(tags, PART_OF) is not None:
            continue
        title = str(tags["TIT2"].text[0]) if "TIT2" in tags else path.stem
        seconds = cast(mutagen.mp3.MPEGInfo, audio.info).length
        stat = path.stat()
        items.append(FeedItem(path.name, title, txxx(tags, GOAL) or title, seconds,
                              stat.st_size, key, datetime.fromtimestamp(stat.st_mtime, UTC)))
    return sorted(items, key=lambda i: (i.published, i.name), reverse=True)


def _parse(path: Path) -> mutagen.mp3.MP3 | None:
    """The file's MP3 stream info and ID3 tag, or None (logged) when it cannot be read as MP3."""
    try:
        return mutagen.mp3.MP3(path)
    except (mutagen.MutagenError, OSError) as exc:
        logger.warning("%s is not a readable MP3 (%s); left out of the feed", path, exc)
        return None


def duration_text(seconds: float) -> str:
    """itunes:duration as H:MM:SS."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def build_feed(items: list[FeedItem], *, base_url: str, language: str = "en-us") -> bytes:
    """The RSS document; enclosure URLs are `base_url/<file name>` (base_url: where the files are served)."""
    base = base_url.rstrip("/")
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    for tag, text in (("title", TITLE), ("link", base + "/"), ("description", DESCRIPTION), ("language", language)):
        ET.SubElement(channel, tag).text = text
    ET.SubElement(channel, f"{{{ITUNES}}}author").text = ARTIST
    ET.SubElement(channel, f"{{{ITUNES}}}summary").text = DESCRIPTION
    category = ET.SubElement(channel, f"{{{ITUNES}}}category", {"text": CATEGORY[0]})
    ET.SubElement(category, f"{{{ITUNES}}}category", {"text": CATEGORY[1]})
    ET.SubElement(channel, f"{{{ITUNES}}}explicit").text = "false"
    for item in items:
        entry = ET.SubElement(channel, "item")
        ET.SubElement(entry, "title").text = item.title
        ET.SubElement(entry, "description").text = item.description
        ET.SubElement(entry, "enclosure", {"url": f"{base}/{quote(item.name)}", "length": str(item.size),
                                           "type": "audio/mpeg"})
        ET.SubElement(entry, "guid", {"isPermaLink": "false"}).text = item.guid
        ET.SubElement(entry, "pubDate").text = email.utils.format_datetime(item.published)
        ET.SubElement(entry, f"{{{ITUNES}}}duration").text = duration_text(item.seconds)
        ET.SubElement(entry, f"{{{ITUNES}}}explicit").text = "false"
    ET.indent(rss)
    document: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)  # typeshed: Any for a named encoding
    return document


def write_feed(out_dir: Path, *, base_url: str | None = None) -> Path:
    """Write `out_dir/feed.xml` atomically; without `base_url` enclosures point at the files themselves."""
    out_dir = Path(out_dir)
    data = build_feed(scan(out_dir), base_url=base_url or out_dir.resolve().as_uri())
    path = out_dir / FEED_NAME
    with writing(out_dir):
        atomic_write_bytes(path, data)
    return path
