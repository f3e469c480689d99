"""The audio pipeline: TTS engines, Alexa's MP3 profile, the prompt cache, rendering and export."""
