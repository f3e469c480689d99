"""An offline ear for tests and bench/bench_voice.py: pocketsphinx's bundled US English model transcribing audio."""

from __future__ import annotations

import miniaudio

RATE = 16_000  # the rate pocketsphinx's bundled acoustic model was trained at

_decoder = None  # one decoder per process: it takes about a second to load


def start() -> None:
    """Load the recogniser in this process (a process pool's initializer); transcribe() calls it when needed."""
    global _decoder
    if _decoder is None:
        from pocketsphinx import Decoder

        _decoder = Decoder(samprate=RATE, loglevel="FATAL")


def transcribe(audio: bytes) -> str:
    """What pocketsphinx hears in MP3 or WAV bytes, decoded to 16 kHz mono; lower-case words, "" for nothing."""
    start()
    assert _decoder is not None
    sound = miniaudio.decode(audio, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=RATE)
    _decoder.start_utt()
    _decoder.process_raw(bytes(sound.samples), full_utt=True)
    _decoder.end_utt()
    hypothesis = _decoder.hyp()
    return hypothesis.hypstr if hypothesis is not None else ""
