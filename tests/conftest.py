"""Shared fixtures: isolated settings and directories, a fresh plugin manager, the app and its clients."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from skill.catalog import Catalog
from skill.config import Settings
from skill.plugins import BandCoachPluginManager, make_plugin_manager
from skill.web.app import create_app

if TYPE_CHECKING:
    from support.pki import TestPki

pytest_plugins = ["support.browser"]  # the phone tests' shared server and browser fixtures

ENVELOPES = Path(__file__).parent / "envelopes"
PLUGIN_SOURCES = Path(__file__).parent / "plugin_sources"


LOOPBACK = "127.0.0.1,localhost"


@pytest.fixture(scope="session", autouse=True)
def no_proxy_for_loopback() -> Iterator[None]:
    """Reach every local stand-in and server directly, whatever proxy the developer's shell configures.

    urllib sends 127.0.0.1 through http_proxy unless no_proxy lists it, and gTTS hands requests the
    environment's proxies explicitly (so no_proxy alone does not help there): drop the proxy variables
    and list the loopback in no_proxy too, which also covers an opener built before this ran. Session
    scope, so module- and session-scoped servers started before any test-level fixture are covered;
    subprocesses (bandcoach serve, node) inherit it. Tests never need a proxy: there is no internet.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.lower().endswith("_proxy") and name.lower() != "no_proxy":
                patch.delenv(name)
        for name in ("NO_PROXY", "no_proxy"):
            patch.setenv(name, LOOPBACK)
        yield


@pytest.fixture(autouse=True)
def env_setup(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep every test away from the developer's home and site-packages plugins (llm's env_setup)."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("BANDCOACH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BANDCOACH_LOAD_PLUGINS", "bandcoach")
    monkeypatch.setenv("BANDCOACH_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("BANDCOACH_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("BANDCOACH_TTS", "espeak")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for local development: verification off, state and caches under tmp_path."""
    return Settings(verify=False, load_plugins=("bandcoach",), data_dir=tmp_path / "data",
                    cache_dir=tmp_path / "cache", tts="espeak")


@pytest.fixture
def pm(settings: Settings) -> BandCoachPluginManager:
    """A fresh plugin manager with the built-ins from their entry points."""
    return make_plugin_manager(settings)


@pytest.fixture
def catalog(pm: BandCoachPluginManager) -> Catalog:
    return Catalog.build(pm)


@pytest.fixture
def app(settings: Settings, pm: BandCoachPluginManager):
    return create_app(settings, pm=pm)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture
def post(client) -> Callable[[dict[str, Any]], Any]:
    """POST an envelope to /alexa and return the Flask response."""

    def _post(envelope: dict[str, Any]) -> Any:
        return client.post("/alexa", data=json.dumps(envelope), content_type="application/json")

    return _post


@pytest.fixture
def envelope() -> Callable[..., dict[str, Any]]:
    """Load tests/envelopes/<name>.json, optionally replacing slot values: envelope("start", routine="desk")."""

    def _load(name: str, **slots: str) -> dict[str, Any]:
        data = json.loads((ENVELOPES / f"{name}.json").read_text())
        for slot_name, value in slots.items():
            data["request"]["intent"]["slots"][slot_name] = {"name": slot_name, "value": value,
                                                            "confirmationStatus": "NONE"}
        return data

    return _load


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Install a plugin from tests/plugin_sources/ as a real distribution (dist-info + entry point), no pip."""

    def _install(module: str, dist: str = "bandcoach-yoga", entry_name: str = "yoga") -> Path:
        site = tmp_path / "site"
        site.mkdir(exist_ok=True)
        shutil.copy(PLUGIN_SOURCES / f"{module}.py", site / f"{module}.py")
        info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(textwrap.dedent(f"""\
            [bandcoach]
            {entry_name} = {module}
            """))
        monkeypatch.syspath_prepend(str(site))
        monkeypatch.delitem(__import__("sys").modules, module, raising=False)
        __import__("importlib").invalidate_caches()
        return site

    return _install


@pytest.fixture(scope="session")
def pki() -> TestPki:
    """The throwaway Alexa PKI of tests/support/pki.py (four RSA keys, slow to make), built once; it is frozen."""
    from support.pki import TestPki

    return TestPki.build()


@pytest.fixture(scope="module")
def timeline():
    """The audio tests' routine (desk, short, light band, en-US): see tests/support/handsfree_support.py."""
    from support.handsfree_support import timeline_of

    return timeline_of()


@pytest.fixture(scope="module")
def warm_dir(tmp_path_factory: pytest.TempPathFactory, timeline) -> Path:
    """An audio cache holding every cue of `timeline`, made once per module with real espeak-ng."""
    from support.handsfree_support import warm_timeline

    audio = tmp_path_factory.mktemp("audio")
    warm_timeline(audio, timeline).close()
    return audio


@pytest.fixture
def workouts_take_their_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workouts finish an hour after they start, as a real one would, not a moment later as a test's do.

    A workout skipped through faster than half its length is not completed (skill/handlers/memory.py);
    tests about what a completed workout does take this fixture, tests about skipping do not.
    """
    from skill.handlers import memory

    monkeypatch.setattr(memory, "ended", lambda: time.time() + 3600)
