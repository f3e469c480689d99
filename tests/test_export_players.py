"""Every built-in routine exported once, then read by tools we did not write, as players and podcast apps would.

ffprobe/ffmpeg (libavformat: most Android and desktop players) read the chapters, the playlists and the
transcripts; feedparser, gPodder's podcastparser and Podcast Index's podcast-partytime (node) parse the
feed. One export of every routine (short variant, espeak-ng) plus one routine in en-GB is shared by the
module; the feed is the one `bandcoach export` writes with BANDCOACH_PUBLIC_URL set.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import feedparser
import mutagen.mp3
import podcastparser
import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3
from support.builtin_catalog import ROUTINE_IDS, builtin_catalog
from support.e2e_node import run_node

from audio.cache import AudioCache
from audio.engines import describe
from audio.export import VOICE
from audio.feed import ATOM, ITUNES, PODCAST
from skill.cli import cli
from skill.cli.export import export_name
from skill.routines import Variant
from skill.timeline import Timeline

pytestmark = pytest.mark.slow

PUBLIC = "https://coach.example.org"
EMAIL = "coach@example.org"
OTHER_LOCALE = "en-GB"
FRAME = 0.024  # seconds in one MP3 frame of Alexa's profile


@dataclass(frozen=True)
class Export:
    """One exported routine: its timeline and the path of each file, by suffix."""

    timeline: Timeline
    stem: Path

    def file(self, suffix: str) -> Path:
        return self.stem.with_name(self.stem.name + suffix)


@dataclass(frozen=True)
class Exports:
    out: Path
    audio: Path
    routines: list[Export]  # in the order they were exported

    @property
    def feed(self) -> Path:
        return self.out / "feed.xml"


def _export(*args: str, env: dict[str, str | None]) -> None:
    result = CliRunner().invoke(cli, ["export", *args], env=env)
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Exports:
    """`bandcoach export --all --variant short`, then desk in en-GB, into one folder, with a public URL."""
    home = tmp_path_factory.mktemp("players")
    out, audio = home / "exports", home / "audio"
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("BANDCOACH_")}
    env.update(BANDCOACH_LOAD_PLUGINS="bandcoach", BANDCOACH_DATA_DIR=str(home / "data"),
               BANDCOACH_CACHE_DIR=str(home / "cache"), BANDCOACH_AUDIO_DIR=str(audio), BANDCOACH_TTS="espeak",
               BANDCOACH_PUBLIC_URL=PUBLIC, BANDCOACH_FEED_EMAIL=EMAIL)
    _export("--all", "--variant", "short", "--out", str(out), env=env)
    _export("desk", "--variant", "short", "--locale", OTHER_LOCALE, "--out", str(out), env=env)
    catalog = builtin_catalog()
    timelines = [catalog.timeline(r, variant=Variant.SHORT) for r in sorted(ROUTINE_IDS)]
    timelines.append(catalog.timeline("desk", variant=Variant.SHORT, locale=OTHER_LOCALE))
    return Exports(out, audio, [Export(t, out / export_name(t, 0)[0]) for t in timelines])


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def ffprobe_json(*args: str) -> Any:
    done = run("ffprobe", "-v", "error", "-of", "json", *args)
    assert done.returncode == 0 and not done.stderr, done.stderr
    return json.loads(done.stdout)


def decoded_seconds(*input_args: str) -> float:
    """How long ffmpeg decodes the input's audio for, to its end, failing on any error it reports.

    Only the audio: each file's embedded cover is an attached picture, a second stream.
    """
    done = run("ffmpeg", "-nostdin", "-v", "error", *input_args, "-map", "0:a", "-f", "null", "-progress", "pipe:1",
               "-")
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert done.stdout.rstrip().endswith("progress=end")
    return int(re.findall(r"^out_time_us=(\d+)$", done.stdout, flags=re.M)[-1]) / 1e6


def block_starts(timeline: Timeline) -> list[float]:
    starts, at = [], 0.0
    for block in timeline.blocks:
        starts.append(at)
        at += block.seconds
    return starts


# --- chapters -------------------------------------------------------------------------------------


def test_ffprobe_lists_every_routines_chapters_in_order_at_their_start_times(exports: Exports) -> None:
    """In file order, never sorted: libavformat lists CHAP frames as they lie in the file and ignores CTOC."""
    for done in exports.routines:
        chapters = ffprobe_json("-show_chapters", str(done.file(".mp3")))["chapters"]
        assert [c["tags"]["title"] for c in chapters] == [b.exercise.name for b in done.timeline.blocks], done.stem
        parts = [done.stem.parent / name for name in playlist_entries(done.file(".m3u"))]
        start = 0.0
        for chapter, part, planned in zip(chapters, parts, block_starts(done.timeline), strict=True):
            assert float(chapter["start_time"]) == pytest.approx(start, abs=0.001)  # where the exercise's audio starts
            assert float(chapter["start_time"]) == pytest.approx(planned, abs=1.0)  # and about where the plan has it
            start += mutagen.mp3.MP3(part).info.length


def test_the_chapters_json_says_what_ffprobe_reads(exports: Exports) -> None:
    for done in exports.routines:
        probed = ffprobe_json("-show_chapters", str(done.file(".mp3")))["chapters"]
        document = json.loads(done.file(".json").read_text(encoding="utf-8"))
        assert document["version"] == "1.2.0"
        assert [(c["title"], c["startTime"], c["endTime"]) for c in document["chapters"]] == \
            [(c["tags"]["title"], float(c["start_time"]), float(c["end_time"])) for c in probed]


# --- playlists ------------------------------------------------------------------------------------


def test_ffmpeg_plays_every_hls_playlist_to_the_end(exports: Exports) -> None:
    """The .m3u8 is VOD HLS: read once, to the end (a live playlist would start near its end and poll forever)."""
    for done in exports.routines:
        playlist = done.file(".m3u8").read_text(encoding="utf-8")
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist and playlist.rstrip().endswith("#EXT-X-ENDLIST")
        whole = mutagen.mp3.MP3(done.file(".mp3")).info.length
        assert decoded_seconds("-i", str(done.file(".m3u8"))) == pytest.approx(whole, abs=0.05)


def test_every_m3u_names_files_that_play_for_the_whole_routine(exports: Exports, tmp_path: Path) -> None:
    """Relative entries, resolved beside the playlist as players do, decode one after another (ffmpeg's concat
    demuxer, file by file) for the routine's length."""
    for done in exports.routines:
        playlist = done.file(".m3u")
        lines = playlist.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "#EXTM3U"
        entries = playlist_entries(playlist)
        assert all("/" not in e for e in entries)  # relative, beside the playlist
        joined = tmp_path / f"{playlist.stem}.ffconcat"
        joined.write_text("ffconcat version 1.0\n" + "".join(f"file '{playlist.parent / e}'\n" for e in entries))
        whole = mutagen.mp3.MP3(done.file(".mp3")).info.length
        assert decoded_seconds("-f", "concat", "-safe", "0", "-i", str(joined)) == \
            pytest.approx(whole, abs=0.1 * len(entries))
        listed = [int(line.removeprefix("#EXTINF:").split(",")[0]) for line in lines if line.startswith("#EXTINF:")]
        assert sum(listed) == pytest.approx(whole, abs=len(entries))


def playlist_entries(playlist: Path) -> list[str]:
    return [line for line in playlist.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


# --- loudness -------------------------------------------------------------------------------------


def test_ffmpegs_loudness_meter_reads_every_export_near_the_podcast_target(exports: Exports) -> None:
    """EBU R128 integrated loudness by ffmpeg's ebur128 filter: about -16 LUFS, what podcast apps play at
    (the target and how it is reached: docs/audio.md)."""
    for done in exports.routines:
        measured = run("ffmpeg", "-nostdin", "-hide_banner", "-i", str(done.file(".mp3")), "-map", "0:a",
                       "-af", "ebur128", "-f", "null", "-")
        assert measured.returncode == 0, measured.stderr[-2000:]
        summary = measured.stderr.rsplit("Integrated loudness:", 1)[1]
        lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
        assert lufs == pytest.approx(-16, abs=2), done.stem.name


# --- transcripts ----------------------------------------------------------------------------------


def test_ffmpeg_reads_each_transcript_with_a_cue_where_the_timeline_speaks(exports: Exports) -> None:
    """Each spoken line starts at its exercise's chapter plus its place in the timeline, to the nearest frame."""
    for done in exports.routines:
        packets = ffprobe_json("-show_packets", str(done.file(".vtt")))["packets"]
        chapters = ffprobe_json("-show_chapters", str(done.file(".mp3")))["chapters"]
        spoken = []
        for chapter, block in zip(chapters, done.timeline.blocks, strict=True):
            at = float(chapter["start_time"])
            for cue in (*block.cues, *block.rest):
                if cue.text.strip():
                    spoken.append((at, " ".join(cue.text.split())))
                at += cue.seconds
        assert len(packets) == len(spoken)
        for packet, (start, _) in zip(packets, spoken, strict=True):
            assert float(packet["pts_time"]) == pytest.approx(start, abs=FRAME / 2 + 0.001)


# --- the voice ------------------------------------------------------------------------------------


def test_every_export_names_the_voice_that_spoke_it(exports: Exports) -> None:
    for done in exports.routines:
        ident = AudioCache(exports.audio).identity_for(done.timeline.locale)
        assert ident is not None
        assert ID3(done.file(".mp3"))[f"TXXX:{VOICE}"].text == [describe(ident)]
    descriptions = [e.description for e in feedparser.parse(str(exports.feed)).entries]
    assert all("Voice: espeak" in d for d in descriptions), descriptions


# --- the feed, by three parsers -------------------------------------------------------------------


def test_feedparser_reads_artwork_owner_and_https_enclosures(exports: Exports) -> None:
    parsed = feedparser.parse(str(exports.feed))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.image.href == f"{PUBLIC}/exports/podcast.png"
    assert parsed.feed.publisher_detail == {"name": "Band Coach", "email": EMAIL}
    assert len(parsed.entries) == len(exports.routines)
    for entry in parsed.entries:
        (enclosure,) = [link for link in entry.links if link.rel == "enclosure"]
        name = enclosure.href.removeprefix(f"{PUBLIC}/exports/")
        assert enclosure.href.startswith("https://") and int(enclosure.length) == (exports.out / name).stat().st_size
        assert entry.image.href == f"{PUBLIC}/exports/{Path(name).stem}.png"
        assert entry.podcast_chapters["url"] == f"{PUBLIC}/exports/{Path(name).stem}.json"
        assert entry.podcast_transcript["url"] == f"{PUBLIC}/exports/{Path(name).stem}.vtt"


def test_podcastparser_reads_chapters_and_transcripts(exports: Exports) -> None:
    with exports.feed.open("rb") as stream:
        parsed = podcastparser.parse(f"{PUBLIC}/feed.xml", stream)
    assert parsed["cover_url"] == f"{PUBLIC}/exports/podcast.png"
    assert parsed["itunes_owner"] == {"name": "Band Coach", "email": EMAIL}
    assert len(parsed["episodes"]) == len(exports.routines)
    for episode in parsed["episodes"]:
        (enclosure,) = episode["enclosures"]
        stem = enclosure["url"].removeprefix(f"{PUBLIC}/exports/").removesuffix(".mp3")
        assert enclosure["mime_type"] == "audio/mpeg" and enclosure["url"].startswith("https://")
        assert episode["chapters_json_url"] == f"{PUBLIC}/exports/{stem}.json"
        assert episode["transcript_url"] == f"{PUBLIC}/exports/{stem}.vtt"
        assert episode["episode_art_url"] == f"{PUBLIC}/exports/{stem}.png"


def test_podcast_partytime_reads_the_feed_with_chapters_and_transcripts(exports: Exports) -> None:
    done = run_node("partytime.js", str(exports.feed))
    assert done.returncode == 0, done.stderr
    feed = json.loads(done.stdout)["feed"]
    assert feed is not None, "partytime refused the feed"
    assert feed["itunesImage"] == f"{PUBLIC}/exports/podcast.png"
    assert feed["owner"] == {"name": "Band Coach", "email": EMAIL}
    assert feed["pubsub"]["self"] == f"{PUBLIC}/feed.xml"
    assert feed["pc20support"]["1"] == ["transcript", "chapters"]
    assert len(feed["items"]) == len(exports.routines)
    for item in feed["items"]:
        assert item["enclosure"]["url"].startswith(f"{PUBLIC}/exports/") and item["enclosure"]["length"] > 0
        assert item["podcastChapters"]["type"] == "application/json+chapters"
        assert [t["type"] for t in item["podcastTranscripts"]] == ["text/vtt"]


def test_the_feed_has_every_tag_apple_requires(exports: Exports) -> None:
    """Apple Podcasts' required tags (https://podcasters.apple.com/support/823-podcast-requirements, "Required
    tags"): the channel's title, description, itunes:image, language, itunes:category and itunes:explicit;
    each episode's title, enclosure (url, length, type) and guid. Plus what apps need to subscribe:
    atom:link rel="self", itunes:owner with an email, and no link that is not absolute https.
    """
    channel = ET.parse(exports.feed).getroot().find("channel")
    for tag in ("title", "description", f"{{{ITUNES}}}image", "language", f"{{{ITUNES}}}category",
                f"{{{ITUNES}}}explicit", f"{{{ITUNES}}}owner/{{{ITUNES}}}email"):
        found = channel.find(tag)
        assert found is not None and (found.text or found.attrib), tag
    assert channel.find(f"{{{ATOM}}}link[@rel='self']").get("href") == f"{PUBLIC}/feed.xml"
    for item in channel.findall("item"):
        assert item.findtext("title") and item.findtext("guid")
        enclosure = item.find("enclosure")
        assert int(enclosure.get("length")) > 0 and enclosure.get("type") == "audio/mpeg"
    urls = [v for e in channel.iter() for k, v in e.attrib.items() if k in ("url", "href")]
    assert urls and all(u.startswith(f"{PUBLIC}/") for u in urls)


def test_episodes_are_dated_apart_in_the_order_they_were_exported(exports: Exports) -> None:
    channel = ET.parse(exports.feed).getroot().find("channel")
    listed = [(i.find("enclosure").get("url").rsplit("/", 1)[1], parsedate_to_datetime(i.findtext("pubDate")))
              for i in channel.findall("item")]
    assert [name for name, _ in listed] == [e.file(".mp3").name for e in reversed(exports.routines)]  # newest first
    dates = [date for _, date in listed]
    assert all(newer > older for newer, older in itertools.pairwise(dates))


def test_two_locales_of_one_routine_have_distinct_titles_and_the_feed_speaks_the_exports_language(
        exports: Exports) -> None:
    channel = ET.parse(exports.feed).getroot().find("channel")
    titles = [t.text for t in channel.findall("item/title")]
    assert len(set(titles)) == len(titles)
    assert sum(OTHER_LOCALE in t for t in titles) == 1
    assert channel.findtext("language") == "en-us"  # what most episodes speak
    (other,) = [i for i in channel.findall("item") if OTHER_LOCALE in i.findtext("title")]
    assert other.find(f"{{{PODCAST}}}transcript").get("language") == "en-gb"
