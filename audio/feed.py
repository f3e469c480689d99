"""A podcast feed (RSS 2.0, iTunes, Atom and Podcasting 2.0 namespaces) of every routine exported into a directory.

The feed is built from the files themselves (their ID3 tags, sizes and times, and the cover, chapters
and transcript beside each MP3), so it lists exactly what is on disk, whoever exported it and
whatever URL it is served under. Every URL in it is absolute (RSS has no relative links): the
caller says where the files and the feed are reachable (`Channel`).
"""

from __future__ import annotations

import email.utils
import functools
import logging
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast
from urllib.parse import quote

import mutagen
import mutagen.mp3
from mutagen.id3 import ID3

from audio import artwork
from audio.chapters import CHAPTERS_TYPE, TRANSCRIPT_TYPE
from audio.export import (
    ARTIST,
    CHAPTERS_SUFFIX,
    EXPORT_KEY,
    GOAL,
    LOCALE,
    PART_OF,
    TRANSCRIPT_SUFFIX,
    VOICE,
    cover_path,
    txxx,
    writing,
)
from skill.files import atomic_write_bytes

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM = "http://www.w3.org/2005/Atom"
# The podcast namespace's first URI: its spec names https://podcastindex.org/namespace/1.0 but tells clients
# to recognise this one too, and gPodder's podcastparser (0.6.11) recognises only this one.
PODCAST = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
FEED_NAME = "feed.xml"
SHOW_COVER = "podcast.png"  # the show's own cover, beside the exports
TITLE = "Band Coach workouts"
DESCRIPTION = "Resistance-band routines for runners, coached out loud, with a chapter per exercise."
CATEGORY = ("Health & Fitness", "Fitness")
DEFAULT_LANGUAGE = "en-us"

logger = logging.getLogger(__name__)

for _prefix, _uri in (("itunes", ITUNES), ("atom", ATOM), ("podcast", PODCAST)):
    ET.register_namespace(_prefix, _uri)


@dataclass(frozen=True, slots=True)
class Channel:
    """Where the feed and its files are reachable, and who runs the show: what the feed needs besides the files."""

    files_url: str  # absolute URL of the export directory: enclosures, covers, chapters, transcripts
    feed_url: str  # the feed's own address (atom:link rel="self")
    link: str  # a page about the show that does not 404
    owner: str = ARTIST
    email: str | None = None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One exported routine as the feed lists it (file names are in the export directory)."""

    name: str
    title: str
    description: str
    seconds: float
    size: int
    guid: str
    published: datetime  # distinct per item, in the order the routines were exported
    modified: datetime  # the MP3's own time
    locale: str
    voice: str | None
    cover: str | None
    chapters: str | None
    transcript: str | None


def scan(out_dir: Path) -> list[FeedItem]:
    """Every whole-routine export in `out_dir` (per-exercise files are left out), newest first."""
    out_dir = Path(out_dir)
    found = []
    for path in sorted(out_dir.glob("*.mp3")):
        if path.name.startswith(".") or not path.is_file():
            continue
        item = _item(path)
        if item is not None:
            found.append((path.stat().st_mtime_ns, item))
    found.sort(key=lambda pair: (pair[0], pair[1].name))  # the order they were written: --all writes routine order
    return _distinct_titles(_distinct_dates([item for _, item in found]))


def _item(path: Path) -> FeedItem | None:
    """The feed item of a whole-routine MP3, or None for a part, a foreign or an unreadable file."""
    audio = _parse(path)  # tags and length from one parse: this runs on every GET /feed.xml
    # mutagen declares FileType.tags and .info as None; an MP3's tags are an ID3 (or None), its info an MPEGInfo.
    tags: object = audio.tags if audio is not None else None
    if audio is None or not isinstance(tags, ID3):
        return None
    key = txxx(tags, EXPORT_KEY)
    if key is None or txxx(tags, PART_OF) is not None:
        return None
    title = str(tags["TIT2"].text[0]) if "TIT2" in tags else path.stem
    voice = txxx(tags, VOICE)
    goal = txxx(tags, GOAL) or title
    stat = path.stat()
    modified = datetime.fromtimestamp(stat.st_mtime, UTC).replace(microsecond=0)
    cover = cover_path(path.parent, path.stem)

    def beside(suffix: str) -> str | None:
        return f"{path.stem}{suffix}" if path.with_suffix(suffix).is_file() else None

    return FeedItem(path.name, title, f"{goal} Voice: {voice}." if voice else goal,
                    cast(mutagen.mp3.MPEGInfo, audio.info).length, stat.st_size, key, modified, modified,
                    txxx(tags, LOCALE) or "en-US", voice, cover.name if cover else None,
                    beside(CHAPTERS_SUFFIX), beside(TRANSCRIPT_SUFFIX))


def _parse(path: Path) -> mutagen.mp3.MP3 | None:
    """The file's MP3 stream info and ID3 tag, or None (logged) when it cannot be read as MP3."""
    try:
        return mutagen.mp3.MP3(path)
    except (mutagen.MutagenError, OSError) as exc:
        logger.warning("%s is not a readable MP3 (%s); left out of the feed", path, exc)
        return None


def _distinct_dates(oldest_first: list[FeedItem]) -> list[FeedItem]:
    """Newest first, each pubDate at least a second before the next newer one (RSS dates count whole seconds).

    An `export --all` writes many files within one second; apps order episodes by pubDate, so
    equal dates would shuffle them. Dates only move back, never into the future.
    """
    items: list[FeedItem] = []
    for item in reversed(oldest_first):
        if items and item.published >= items[-1].published:
            item = replace(item, published=items[-1].published - timedelta(seconds=1))
        items.append(item)
    return items


def _distinct_titles(items: list[FeedItem]) -> list[FeedItem]:
    """Titles that two exports share (the same routine in two locales) get the locale appended."""
    counts = Counter(i.title for i in items)
    return [replace(i, title=f"{i.title} ({i.locale})") if counts[i.title] > 1 and i.locale not in i.title else i
            for i in items]


def language(items: list[FeedItem]) -> str:
    """The channel's language: the locale most items speak (RSS spells it lowercase, en-gb), else en-us."""
    if not items:
        return DEFAULT_LANGUAGE
    return Counter(i.locale for i in items).most_common(1)[0][0].lower()


def duration_text(seconds: float) -> str:
    """itunes:duration as H:MM:SS."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def build_feed(items: list[FeedItem], channel: Channel) -> bytes:
    """The RSS document; file URLs are `channel.files_url/<file name>`, the show's cover is SHOW_COVER there."""
    base = channel.files_url.rstrip("/")

    def url(name: str) -> str:
        return f"{base}/{quote(name)}"

    rss = ET.Element("rss", {"version": "2.0"})
    root = ET.SubElement(rss, "channel")
    for tag, text in (("title", TITLE), ("link", channel.link), ("description", DESCRIPTION),
                      ("language", language(items))):
        ET.SubElement(root, tag).text = text
    ET.SubElement(root, f"{{{ATOM}}}link", {"href": channel.feed_url, "rel": "self", "type": "application/rss+xml"})
    if items:
        ET.SubElement(root, "lastBuildDate").text = email.utils.format_datetime(max(i.modified for i in items))
    ET.SubElement(root, f"{{{ITUNES}}}author").text = channel.owner
    ET.SubElement(root, f"{{{ITUNES}}}summary").text = DESCRIPTION
    owner = ET.SubElement(root, f"{{{ITUNES}}}owner")
    ET.SubElement(owner, f"{{{ITUNES}}}name").text = channel.owner
    if channel.email:
        ET.SubElement(owner, f"{{{ITUNES}}}email").text = channel.email
    ET.SubElement(root, f"{{{ITUNES}}}image", {"href": url(SHOW_COVER)})
    picture = ET.SubElement(root, "image")
    for tag, text in (("url", url(SHOW_COVER)), ("title", TITLE), ("link", channel.link)):
        ET.SubElement(picture, tag).text = text
    category = ET.SubElement(root, f"{{{ITUNES}}}category", {"text": CATEGORY[0]})
    ET.SubElement(category, f"{{{ITUNES}}}category", {"text": CATEGORY[1]})
    ET.SubElement(root, f"{{{ITUNES}}}explicit").text = "false"
    for item in items:
        _add_item(root, item, url)
    ET.indent(rss)
    document: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)  # typeshed: Any for a named encoding
    return document


def _add_item(root: ET.Element, item: FeedItem, to_url: Callable[[str], str]) -> None:
    """One <item>: title, description, enclosure, guid, date, duration, image, chapters and transcript."""
    entry = ET.SubElement(root, "item")
    ET.SubElement(entry, "title").text = item.title
    ET.SubElement(entry, "description").text = item.description
    ET.SubElement(entry, "enclosure", {"url": to_url(item.name), "length": str(item.size), "type": "audio/mpeg"})
    ET.SubElement(entry, "guid", {"isPermaLink": "false"}).text = item.guid
    ET.SubElement(entry, "pubDate").text = email.utils.format_datetime(item.published)
    ET.SubElement(entry, f"{{{ITUNES}}}duration").text = duration_text(item.seconds)
    ET.SubElement(entry, f"{{{ITUNES}}}explicit").text = "false"
    if item.cover:
        ET.SubElement(entry, f"{{{ITUNES}}}image", {"href": to_url(item.cover)})
    if item.chapters:
        ET.SubElement(entry, f"{{{PODCAST}}}chapters", {"url": to_url(item.chapters), "type": CHAPTERS_TYPE})
    if item.transcript:
        ET.SubElement(entry, f"{{{PODCAST}}}transcript", {"url": to_url(item.transcript), "type": TRANSCRIPT_TYPE,
                                                          "language": item.locale.lower()})


@functools.cache
def show_cover() -> bytes:
    """The show's cover, drawn once per process (a PNG of COVER_SIZE px)."""
    return artwork.square_png(artwork.COVER_SIZE, TITLE, "Resistance bands for runners")


def write_show_cover(out_dir: Path) -> Path:
    """Draw the show's cover into `out_dir` unless it is there already."""
    path = Path(out_dir) / SHOW_COVER
    if not path.is_file():
        with writing(path.parent):
            atomic_write_bytes(path, show_cover())
    return path


def write_feed(out_dir: Path, channel: Channel) -> Path:
    """Write `out_dir/feed.xml` (and the show's cover) atomically, with absolute URLs from `channel`."""
    out_dir = Path(out_dir)
    write_show_cover(out_dir)
    data = build_feed(scan(out_dir), channel)
    path = out_dir / FEED_NAME
    with writing(out_dir):
        atomic_write_bytes(path, data)
    return path
