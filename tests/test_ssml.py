"""SSML: escaping, breaks of at most ten seconds, and the 8,000-character limit."""

from __future__ import annotations

import pytest
from support.alexa_checks import check_ssml

from skill import ssml
from skill.routines import BandLevel, Variant
from skill.timeline import Cue


def test_text_is_escaped():
    out = ssml.speak('Tom & Jerry <say-as> "quotes"')
    check_ssml(out)
    assert "&amp;" in out and "&lt;say-as&gt;" in out and "&quot;" in out


def test_control_characters_are_dropped():
    check_ssml(ssml.speak("bad\x00\x07 chars\x1b"))


def test_long_pauses_are_chained_breaks_of_at_most_ten_seconds():
    assert ssml.pause(25) == '<break time="10000ms"/><break time="10000ms"/><break time="5000ms"/>'


def test_cues_leave_their_slot_as_silence():
    out = ssml.cues_to_ssml([Cue("hold", 12.0, text="Hold.")])
    check_ssml(out)
    assert '<break time="10000ms"/>' in out


def test_a_response_never_passes_8000_characters():
    cues = [Cue("count", 30.0, text=f"Count {i}.") for i in range(500)]
    out = ssml.cues_to_ssml(cues, before=["Start."], after=["Say next."])
    assert len(out) <= ssml.MAX_CHARS
    assert out.endswith("Say next.</speak>")
    check_ssml(out)


def test_plain_text_reads_like_speech():
    assert ssml.plain_text(ssml.speak("Hold & breathe.") ) == "Hold & breathe."


def test_more_than_five_audio_clips_are_refused():
    with pytest.raises(ValueError, match="at most 5"):
        ssml.audio_clips([f"https://x/{i}.mp3" for i in range(6)])


@pytest.mark.parametrize("variant", list(Variant))
@pytest.mark.parametrize("band", list(BandLevel))
def test_every_block_of_every_routine_fits_one_response(catalog, variant, band):
    for routine_id in catalog.routines:
        timeline = catalog.timeline(routine_id, band=band, variant=variant)
        for block in timeline.blocks:
            check_ssml(ssml.cues_to_ssml(list(block.cues) + list(block.rest), before=["Okay."], after=["Next."]))
            _body, fitted = ssml.cue_body(block.cues)
            assert fitted == len(block.cues), f"{routine_id} block {block.index} was cut"


def test_cues_cut_to_fit_are_logged(caplog):
    cues = [Cue("count", 30.0, text=f"Count {i}.") for i in range(500)]
    with caplog.at_level("WARNING", logger="skill.ssml"):
        ssml.cues_to_ssml(cues)
    assert "of 500 cues" in caplog.text


def test_a_sentence_said_first_comes_before_the_answer_escaped() -> None:
    assert ssml.said_first("<speak>Next up.</speak>", "Saved & sound?") == "<speak>Saved &amp; sound? Next up.</speak>"


def test_a_sentence_that_would_break_the_length_limit_is_not_said() -> None:
    full = ssml.wrap("a" * (ssml.MAX_CHARS - len(ssml.wrap(""))))
    assert ssml.said_first(full, "Your progress wasn't saved.") is None


def test_a_sentence_is_not_spliced_into_something_other_than_one_speak_document() -> None:
    assert ssml.said_first("Next up.", "Hello.") is None
