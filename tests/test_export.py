"""`bandcoach export`: chaptered MP3, per-exercise files, playlist and feed, checked with mutagen, decoder, XML.

What other people's players and parsers make of the files is in tests/test_export_players.py.
"""

from __future__ import annotations

import shutil
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import mutagen.mp3
import pytest
from click.testing import CliRunner, Result
from mutagen.id3 import ID3
from support.handsfree_support import BAND, ROUTINE, VARIANT

from audio import mp3
from audio.feed import ITUNES
from skill.cli import cli
from skill.config import Settings
from skill.timeline import Timeline
from skill.web.app import create_app

NAME = f"{ROUTINE}-{VARIANT.value}-{BAND.value}"


@pytest.fixture
def audio_dir(warm_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the warmed cache per test, so segments one test renders never help another."""
    audio = tmp_path / "audio"
    shutil.copytree(warm_dir, audio)
    monkeypatch.setenv("BANDCOACH_AUDIO_DIR", str(audio))
    return audio


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def export(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["export", *args])
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture
def exported(audio_dir: Path, out: Path) -> Path:
    result = export(ROUTINE, "--variant", VARIANT.value, "--band", BAND.value, "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_whole_routine_lasts_its_timeline_within_one_percent(exported: Path, timeline: Timeline) -> None:
    path = exported / f"{NAME}.mp3"
    assert mutagen.mp3.MP3(path).info.length == pytest.approx(timeline.seconds, rel=0.01)
    assert mp3.duration(path.read_bytes()) == pytest.approx(timeline.seconds, rel=0.01)  # the real decoder


def test_whole_routine_keeps_alexas_profile(exported: Path) -> None:
    info = mp3.info(exported / f"{NAME}.mp3")
    assert (info.version, info.layer, info.sample_rate, info.bitrate, info.channels) == (2, 3, 24000, 48000, 1)


def test_every_exercise_is_a_chapter_at_its_start_time(exported: Path, timeline: Timeline) -> None:
    tags = ID3(exported / f"{NAME}.mp3")
    chapters = tags.getall("CHAP")  # in file order, which is what ffmpeg-based players list: never sorted here
    assert [c.sub_frames["TIT2"].text[0] for c in chapters] == [b.exercise.name for b in timeline.blocks]
    start = 0.0
    for chapter, block in zip(chapters, timeline.blocks, strict=True):
        assert chapter.start_time / 1000 == pytest.approx(start, abs=0.05)
        assert (chapter.end_time - chapter.start_time) / 1000 == pytest.approx(block.seconds, rel=0.01)
        start += block.seconds
    toc = tags.getall("CTOC")[0]
    assert toc.child_element_ids == [c.element_id for c in chapters]
    assert toc.sub_frames["TIT2"].text == tags["TIT2"].text  # the table of contents is titled like the routine


def test_tags_name_the_routine_and_the_coach(exported: Path, timeline: Timeline) -> None:
    tags = ID3(exported / f"{NAME}.mp3")
    assert tags["TPE1"].text == ["Band Coach"]
    assert tags["TIT2"].text[0].startswith(timeline.routine.name) and tags["TALB"].text == tags["TIT2"].text


def test_playlist_lists_each_exercise_file_with_its_length(exported: Path, timeline: Timeline) -> None:
    lines = (exported / f"{NAME}.m3u").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    entries = [(lines[i], lines[i + 1]) for i, line in enumerate(lines) if line.startswith("#EXTINF:")]
    assert len(entries) == len(timeline.blocks)
    for (info, name), block in zip(entries, timeline.blocks, strict=True):
        seconds, title = info.removeprefix("#EXTINF:").split(",", 1)
        assert title == block.exercise.name
        assert int(seconds) == pytest.approx(block.seconds, abs=1)
        assert mutagen.mp3.MP3(exported / name).info.length == pytest.approx(block.seconds, rel=0.01)


def test_feed_lists_every_exported_routine_with_exact_sizes(exported: Path, out: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDCOACH_PUBLIC_URL", "https://coach.example.org")
    result = export(ROUTINE, "--variant", VARIANT.value, "--band", BAND.value, "--extra-sets", "1", "--out", str(out))
    assert result.exit_code == 0, result.output  # warms the extra set's cues first
    root = ET.parse(out / "feed.xml").getroot()
    channel = root.find("channel")
    assert root.tag == "rss" and root.get("version") == "2.0"
    for tag in ("title", "description", f"{{{ITUNES}}}author", f"{{{ITUNES}}}category", f"{{{ITUNES}}}explicit"):
        assert channel.find(tag) is not None, tag
    items = channel.findall("item")
    assert len(items) == 2
    for item in items:
        enclosure = item.find("enclosure")
        path = out / Path(enclosure.get("url")).name
        assert int(enclosure.get("length")) == path.stat().st_size
        assert enclosure.get("type") == "audio/mpeg"
        assert item.find("guid").text and item.find("pubDate").text
        h, m, s = map(int, item.find(f"{{{ITUNES}}}duration").text.split(":"))
        assert h * 3600 + m * 60 + s == pytest.approx(mutagen.mp3.MP3(path).info.length, abs=1)


def test_feed_uses_the_public_url(audio_dir: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDCOACH_PUBLIC_URL", "https://coach.example.org")
    assert export(ROUTINE, "--variant", VARIANT.value, "--out", str(out)).exit_code == 0
    url = ET.parse(out / "feed.xml").getroot().find("channel/item/enclosure").get("url")
    assert url == f"https://coach.example.org/exports/{NAME}.mp3"


def test_the_server_lists_what_export_wrote_by_default(audio_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One folder for both: `bandcoach export` without --out writes where `bandcoach serve` reads (in the data dir)."""
    assert export(ROUTINE, "--variant", VARIANT.value).exit_code == 0
    monkeypatch.setenv("BANDCOACH_VERIFY", "0")
    settings = Settings.from_env()
    assert settings.export_path == settings.data_path / "exports"
    reply = create_app(settings).test_client().get("/feed.xml", base_url="http://127.0.0.1:5000")
    urls = [e.get("url") for e in ET.fromstring(reply.data).findall("channel/item/enclosure")]
    assert urls == [f"http://127.0.0.1:5000/exports/{NAME}.mp3"]


def test_re_export_of_an_unchanged_routine_rewrites_nothing(exported: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in exported.iterdir() if p.suffix in (".mp3", ".m3u8")}
    result = export(ROUTINE, "--variant", VARIANT.value, "--band", BAND.value, "--out", str(exported))
    assert result.exit_code == 0 and "unchanged" in result.output
    assert {p: exported.joinpath(p).stat().st_mtime_ns for p in before} == before


def test_without_an_address_no_feed_is_written_and_the_way_to_one_is_said(exported: Path) -> None:
    result = export(ROUTINE, "--variant", VARIANT.value, "--band", BAND.value, "--out", str(exported))
    assert result.exit_code == 0
    assert not (exported / "feed.xml").exists()  # RSS needs absolute links; file:// ones work for nobody else
    assert "no feed.xml written" in result.output and "bandcoach serve --lan" in result.output
    assert "--base-url" in result.output


def test_the_base_url_names_where_the_folder_is_hosted(exported: Path) -> None:
    result = export(ROUTINE, "--variant", VARIANT.value, "--band", BAND.value, "--out", str(exported),
                    "--base-url", "https://files.example.org/workouts/")
    assert result.exit_code == 0, result.output
    channel = ET.parse(exported / "feed.xml").getroot().find("channel")
    assert channel.find("item/enclosure").get("url") == f"https://files.example.org/workouts/{NAME}.mp3"
    assert channel.find(f"{{{ITUNES}}}image").get("href") == "https://files.example.org/workouts/podcast.png"
    assert (exported / "podcast.png").is_file()


def test_a_base_url_that_is_no_address_is_a_usage_error(audio_dir: Path, out: Path) -> None:
    result = export(ROUTINE, "--out", str(out), "--base-url", "files.example.org")
    assert result.exit_code == 2 and "https://host/path" in result.output


def test_no_temporary_files_are_left_behind(exported: Path) -> None:
    assert not [p for p in exported.iterdir() if p.name.startswith(".")]


def test_cover_image_is_embedded_and_kept_beside_the_mp3(audio_dir: Path, out: Path, tmp_path: Path) -> None:
    cover = tmp_path / "cover.png"
    cover.write_bytes(_png())
    result = export(ROUTINE, "--variant", VARIANT.value, "--cover", str(cover), "--out", str(out))
    assert result.exit_code == 0
    assert "1x1 px; podcast apps want a square of 1400 to 3000 px" in result.output  # a warning, not a refusal
    picture = ID3(out / f"{NAME}.mp3").getall("APIC")[0]
    assert picture.mime == "image/png" and picture.data == cover.read_bytes()
    assert (out / f"{NAME}.png").read_bytes() == cover.read_bytes()


def test_without_a_cover_one_is_drawn_for_podcast_apps(exported: Path) -> None:
    from PIL import Image

    with Image.open(exported / f"{NAME}.png") as image:
        assert image.format == "PNG" and image.size == (1400, 1400)  # Apple: square, 1400 to 3000 px
    assert ID3(exported / f"{NAME}.mp3").getall("APIC")[0].data == (exported / f"{NAME}.png").read_bytes()


def test_a_cover_that_is_no_image_is_refused_in_one_line(audio_dir: Path, out: Path, tmp_path: Path) -> None:
    cover = tmp_path / "cover.png"
    cover.write_text("not a picture")
    result = export(ROUTINE, "--cover", str(cover), "--out", str(out))
    assert result.exit_code == 2 and "give a PNG or JPEG file" in result.output


def test_minutes_pick_the_nearest_variant(audio_dir: Path, out: Path) -> None:
    assert export(ROUTINE, "--minutes", "6", "--out", str(out)).exit_code == 0
    assert (out / f"{NAME}.mp3").exists()


def test_export_from_an_empty_cache_warms_first(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANDCOACH_AUDIO_DIR", str(tmp_path / "empty-audio"))
    result = export(ROUTINE, "--variant", VARIANT.value, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "warming en-US with espeak" in result.output
    assert (out / f"{NAME}.mp3").stat().st_size > 0


def test_unknown_routine_is_a_clean_error_with_the_choices(audio_dir: Path, out: Path) -> None:
    result = export("underwater-yoga", "--out", str(out))
    assert result.exit_code != 0
    assert "unknown routine 'underwater-yoga'" in result.output and "desk" in result.output


def test_bad_band_is_a_usage_error(audio_dir: Path, out: Path) -> None:
    result = export(ROUTINE, "--band", "purple", "--out", str(out))
    assert result.exit_code == 2 and "'purple' is no band: use light, medium, heavy or a colour" in result.output


def test_routine_or_all_is_required(audio_dir: Path) -> None:
    result = export()
    assert result.exit_code == 2 and "--all" in result.output


def _png() -> bytes:
    """A valid one-pixel PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) \
        + chunk(b"IEND", b"")
