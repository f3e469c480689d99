"""Timeline -> per-exercise segments: durations match the plan, clips join without re-encoding, cache reuse."""

from __future__ import annotations

import time
from pathlib import Path

import lameenc
import numpy as np
import pytest
from mutagen.id3 import ID3, TIT2
from support.handsfree_support import warm_timeline

from audio import mp3, render
from audio.cache import AudioCache
from audio.render import MissingPrompts, RenderError, Slot
from skill.timeline import Timeline


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory, timeline: Timeline) -> AudioCache:
    return warm_timeline(tmp_path_factory.mktemp("audio"), timeline)


def test_each_segment_lasts_its_block_within_one_percent(cache: AudioCache, timeline: Timeline) -> None:
    segments = render.render_timeline(cache, timeline)
    assert [s.title for s in segments] == [b.exercise.name for b in timeline.blocks]
    for segment, block in zip(segments, timeline.blocks, strict=True):
        decoded = mp3.duration(segment.read())  # the real decoder, not our frame count
        assert decoded == pytest.approx(block.seconds, rel=0.01)
        assert decoded == pytest.approx(segment.seconds, abs=0.001)


def test_whole_routine_lasts_its_timeline_within_one_percent(cache: AudioCache, timeline: Timeline) -> None:
    total = sum(mp3.duration(s.read()) for s in render.render_timeline(cache, timeline))
    assert total == pytest.approx(timeline.seconds, rel=0.01)


def test_clips_are_copied_frame_for_frame_not_re_encoded(cache: AudioCache, timeline: Timeline) -> None:
    plan = render.plan_block(cache, timeline, 0)
    segment = render.render_plan(cache, plan).read()
    for slot in plan.slots:
        if slot.clip is not None:
            frames, _ = render.audio_frames(slot.clip.path.read_bytes())
            assert frames in segment


def test_a_second_render_reuses_the_cached_segment(cache: AudioCache, timeline: Timeline) -> None:
    first = render.render_plan(cache, render.plan_block(cache, timeline, 1))
    again = render.render_plan(cache, render.plan_block(cache, timeline, 1))
    assert again.key == first.key and not again.created
    assert cache.path_for(first.key) == again.path  # in the manifest, so /audio/<key>.mp3 serves it


def test_segment_key_changes_with_the_timing(cache: AudioCache, timeline: Timeline) -> None:
    plan = render.plan_block(cache, timeline, 0)
    longer = [Slot(s.clip, s.seconds + 1) for s in plan.slots]
    assert render.segment_key(longer) != plan.key == render.segment_key(plan.slots)


def test_rendering_a_warm_routine_takes_well_under_a_second(tmp_path: Path, timeline: Timeline) -> None:
    cache = warm_timeline(tmp_path, timeline)
    started = time.perf_counter()
    render.render_timeline(cache, timeline)
    assert time.perf_counter() - started < 1.0


def test_missing_clips_fail_with_the_warm_command(tmp_path: Path, timeline: Timeline) -> None:
    with pytest.raises(MissingPrompts, match="bandcoach audio warm --routine desk --locale en-US") as info:
        render.render_timeline(AudioCache(tmp_path), timeline)
    assert len(info.value.missing) == len({c.text for c in timeline.cues() if c.text})


def test_a_clip_longer_than_its_slot_borrows_from_the_following_silence(cache: AudioCache, timeline: Timeline) -> None:
    clip = render.plan_block(cache, timeline, 0).slots[0].clip
    clip_bytes = clip.path.read_bytes()
    _, clip_frames = render.audio_frames(clip_bytes)
    slots = [Slot(clip, 0.1), Slot(clip, 1.0), Slot(None, 30.0)]
    data, frames = render.join(slots, [clip_bytes, clip_bytes, None], 31.1)
    assert frames == render.frames_for(31.1)
    assert mp3.duration(data) == pytest.approx(31.1, abs=mp3.FRAME_SECONDS)
    second_clip_at = data.index(render.audio_frames(clip_bytes)[0], 1)
    assert second_clip_at == clip_frames * len(mp3.silence(mp3.FRAME_SECONDS))  # right after the first: no gap


def test_id3_tags_and_info_frames_are_stripped(cache: AudioCache, timeline: Timeline, tmp_path: Path) -> None:
    clip = render.plan_block(cache, timeline, 0).slots[0].clip.path.read_bytes()
    frames, count = render.audio_frames(clip)
    info = bytearray(mp3.silence(mp3.FRAME_SECONDS))
    info[13:17] = b"Info"
    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(bytes(info) + clip + b"TAG" + bytes(125))
    tags = ID3()
    tags.add(TIT2(encoding=3, text="a clip with tags"))
    tags.save(tagged)
    assert render.audio_frames(tagged.read_bytes()) == (frames, count)


def test_audio_in_another_profile_is_refused() -> None:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(128)
    encoder.set_in_sample_rate(44100)
    encoder.set_channels(2)
    encoder.silence()
    stereo = bytes(encoder.encode(np.zeros(44100 * 2, dtype=np.int16).tobytes()) + encoder.flush())
    with pytest.raises(RenderError, match="Alexa's profile"):
        render.audio_frames(stereo)


def test_bytes_that_are_not_mp3_are_refused() -> None:
    with pytest.raises(RenderError, match="no MP3 frame"):
        render.audio_frames(b"RIFF....WAVEfmt " + bytes(100))

