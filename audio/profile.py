"""Alexa's MP3 profile as plain numbers: cheap to import (no codecs), shared by the cache and the codecs."""

import math

SAMPLE_RATE = 24_000  # one of Alexa's three accepted rates, and gTTS's own: no resampling for it
BITRATE_KBPS = 48  # the bitrate Alexa's SSML <audio> requires
CHANNELS = 1
FRAME_SAMPLES = 576  # samples per MPEG-2 Layer III frame
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE  # 24 ms
LAME_QUALITY = 7  # LAME's fast mode, chosen for speed on synthetic speech (docs/audio.md, The MP3 profile)

TARGET_LUFS = -16.0  # integrated loudness (BS.1770) of every clip: the podcast norm, inside Alexa's range
TRUE_PEAK_CEILING_DBTP = -3.0  # the limiter's ceiling before encoding; MP3 adds up to ~0.5 dB, Alexa allows -2 dBTP
LEVEL_TOLERANCE_LU = 0.1  # levelling stops once a clip measures this close to the target
ENCODED_TOLERANCE_LU = 0.2  # a clip the encoder made quieter than this is levelled and encoded once more
LEVEL_ROUNDS = 6  # at most this many rounds of gain then limiting (speech needs 2 or 3)
LIMITER_SECONDS = 0.002  # the limiter's look-ahead and release: a peak is turned down over 2 ms either side
SILENCE_DBFS = -60.0  # audio whose loudest window is quieter than this is silence, not speech
GATE_DB = 35.0  # windows more than this under the loudest one count as pauses (relative, so level-free)
WINDOW_SECONDS = 0.010
PAD_SECONDS = 0.040  # keep a breath of silence so consonants are not clipped

FORMAT_VERSION = 2  # 2: levelled to -16 LUFS integrated with a true-peak limiter (1: -20 dBFS RMS)
"""Bump when the bytes this module produces change (profile, trim, level): it is in every cache key."""

# A silent MPEG-2 Layer III frame: header FF F3 64 C0 (24 kHz, 48 kbps, mono, no CRC, no padding)
# followed by zeroed side information (no Huffman data, main_data_begin 0): it decodes to 576
# zero samples and depends on no other frame, so any number of copies can be concatenated.
FRAME_BYTES = 72 * BITRATE_KBPS * 1000 // SAMPLE_RATE  # 144
SILENT_FRAME = bytes([0xFF, 0xF3, 0x64, 0xC0]) + bytes(FRAME_BYTES - 4)


def silence(seconds: float) -> bytes:
    """MP3 silence in the same profile, `seconds` rounded to whole 24 ms frames (at least one)."""
    if seconds < 0 or not math.isfinite(seconds):
        raise ValueError(f"silence needs a duration of 0 seconds or more, not {seconds!r}")
    return SILENT_FRAME * max(1, round(seconds / FRAME_SECONDS))
