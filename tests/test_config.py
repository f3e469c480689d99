"""Settings: parsing, defaults, and the generated configuration docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.config import Settings, configuration_markdown
from skill.errors import ConfigError

DOCS = Path(__file__).parent.parent / "docs" / "configuration.md"


def test_defaults_are_safe():
    s = Settings.from_env({})
    assert s.verify is True
    assert s.state == "sqlite"
    assert s.load_plugins is None


def test_lists_are_split_on_commas():
    s = Settings.from_env({"BANDCOACH_SKILL_ID": "amzn1.a, amzn1.b", "BANDCOACH_LOAD_PLUGINS": ""})
    assert s.skill_id == ("amzn1.a", "amzn1.b")
    assert s.load_plugins == ()


def test_paths_derive_from_the_data_and_cache_dirs(tmp_path):
    s = Settings.from_env({"BANDCOACH_DATA_DIR": str(tmp_path / "d"), "BANDCOACH_CACHE_DIR": str(tmp_path / "c")})
    assert s.db_path == tmp_path / "d" / "bandcoach.sqlite3"
    assert s.audio_path == tmp_path / "c" / "audio"


@pytest.mark.parametrize(("name", "value"), [
    ("BANDCOACH_VERIFY", "perhaps"), ("BANDCOACH_STATE", "mysql"), ("BANDCOACH_LOCALE", "fr-FR"),
    ("BANDCOACH_PUBLIC_URL", "ftp://x"), ("BANDCOACH_LOG_LEVEL", "LOUD"),
])
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_configuration_docs_are_generated_from_the_settings():
    assert DOCS.read_text() == configuration_markdown(), "run: python -m skill.config > docs/configuration.md"
