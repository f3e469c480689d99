"""Cues and sentences -> SSML within Alexa's limits; the only module that writes SSML."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence

from skill.timeline import Cue, speech_seconds

logger = logging.getLogger(__name__)

MAX_CHARS = 8000  # Alexa's limit on outputSpeech
MAX_BREAK = 10.0  # Alexa's longest <break>
MAX_AUDIO_TAGS = 5  # Alexa's limit on <audio> tags per response
MAX_AUDIO_SECONDS = 240.0  # Alexa's limit on <audio> time in outputSpeech
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG = re.compile(r"<[^>]+>")
# Escaped by hand: xml.sax.saxutils drags urllib.request into every cold start (~6 ms) for this.
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def escape(text: str) -> str:
    """Text made safe inside SSML: XML metacharacters escaped, control characters dropped."""
    return _CONTROL.sub(" ", text).translate(_XML_ESCAPES)


def pause(seconds: float) -> str:
    """Silence of `seconds`, as one or more <break> tags of at most ten seconds each."""
    parts = []
    remaining = round(seconds, 1)
    while remaining > 0.05:
        step = min(MAX_BREAK, remaining)
        parts.append(f'<break time="{_ms(step)}ms"/>')
        remaining = round(remaining - step, 1)
    return "".join(parts)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def speak(*sentences: str) -> str:
    """Plain sentences as one SSML document."""
    return wrap(" ".join(escape(s.strip()) for s in sentences if s and s.strip()))


def wrap(body: str) -> str:
    """Put a body that is already SSML inside <speak>."""
    return f"<speak>{body}</speak>"


def said_first(document: str, sentence: str) -> str | None:
    """`document` with `sentence` spoken before the rest; None when it is not one <speak> document or the
    sentence would take it over MAX_CHARS (the answer is then left as it was)."""
    if not (document.startswith("<speak>") and document.endswith("</speak>")):
        return None
    spoken = wrap(f"{escape(sentence)} {document.removeprefix('<speak>').removesuffix('</speak>')}")
    return spoken if len(spoken) <= MAX_CHARS else None


@functools.lru_cache(maxsize=4096)
def _cue_piece(text: str, seconds: float) -> str:
    """One cue's words and the silence left in its slot (cues repeat a lot: memoised)."""
    piece = escape(text)
    gap = seconds - speech_seconds(text)
    return piece + pause(gap) if gap > 0.05 else piece  # a countdown's short breaks keep it to 1 Hz


def cue_body(cues: Sequence[Cue], *, budget: int = MAX_CHARS - 200) -> tuple[str, int]:
    """SSML body for cues, each followed by the silence left in its slot.

    Returns the body and how many cues fit in `budget` characters; the caller decides what to
    say about the rest (in session mode the runner says "next").
    """
    out: list[str] = []
    used = 0
    for count, cue in enumerate(cues):
        piece = _cue_piece(cue.text, cue.seconds)
        if used + len(piece) + 1 > budget:
            return " ".join(out), count
        out.append(piece)
        used += len(piece) + 1
    return " ".join(out), len(cues)


def cues_to_ssml(cues: Sequence[Cue], *, before: Iterable[str] = (), after: Iterable[str] = ()) -> str:
    """A whole response: sentences before, the timed cues, sentences after; always within limits."""
    head = " ".join(escape(s) for s in before if s)
    tail = " ".join(escape(s) for s in after if s)
    budget = MAX_CHARS - len(wrap("")) - len(head) - len(tail) - 2
    body, fitted = cue_body(cues, budget=budget)
    if fitted < len(cues):  # a plugin's block too long for one response: say what was cut, not silently
        logger.warning("a response held %d of %d cues within Alexa's %d characters; the rest were dropped",
                       fitted, len(cues), MAX_CHARS)
    return wrap(" ".join(p for p in (head, body, tail) if p))


def audio_clips(urls: Sequence[str], *, before: Iterable[str] = (), after: Iterable[str] = ()) -> str:
    """Pre-recorded clips (HTTPS MP3 in Alexa's profile) between spoken sentences."""
    if len(urls) > MAX_AUDIO_TAGS:
        raise ValueError(f"at most {MAX_AUDIO_TAGS} <audio> tags per response, got {len(urls)}")
    clips = "".join(f'<audio src="{escape(url)}"/>' for url in urls)
    head = " ".join(escape(s) for s in before if s)
    tail = " ".join(escape(s) for s in after if s)
    return wrap(" ".join(p for p in (head, clips, tail) if p))


def plain_text(ssml: str) -> str:
    """What a person hears, as text: tags removed, entities decoded, pauses shown as an ellipsis."""
    text = re.sub(r"(<break[^>]*/>)+", " … ", ssml)
    text = _TAG.sub("", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    return re.sub(r"\s+", " ", text).replace(" … …", " …").strip()


def shorten(document: str, max_chars: int) -> str:
    """An SSML document cut to at most `max_chars` characters and still valid; as it is when it fits.

    The cut falls before any tag or entity it would split, and at a word when one is near; what this
    module writes holds only self-closing tags (<break/>, <audio/>) inside <speak>, so the rest needs no
    closing. A document not of that shape is spoken as its plain text, cut alike. Used to keep a whole
    response within Alexa's size limit (skill.handlers.endpoint.within_limits).
    """
    if len(document) <= max_chars:
        return document
    room = max(0, max_chars - len(wrap("")))
    inner = document[len("<speak>"):-len("</speak>")] \
        if document.startswith("<speak>") and document.endswith("</speak>") else escape(plain_text(document))
    if re.search(r"<[^>]*[^>/]>", inner):  # an element with content: its closing tag could be cut off
        inner = escape(plain_text(wrap(inner)))
    cut = inner[:room]
    if cut.rfind("<") > cut.rfind(">"):  # inside a tag
        cut = cut[:cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):  # inside an entity
        cut = cut[:cut.rfind("&")]
    word = cut.rfind(" ")
    if len(cut) < len(inner) and word > len(cut) // 2:
        cut = cut[:word]
    return wrap(cut.rstrip())
