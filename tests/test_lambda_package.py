"""The Lambda package holds only what the function imports, and answers from a clean interpreter.

deploy/build-lambda --deps-from-env builds the real layout offline (this Python's copies of the `lambda`
extra's distributions); the package is then unzipped and run with `python -I -S`, so nothing outside
it but the standard library can be imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from skill import testing
from skill.plugins import load_entry_points, make_plugin_manager

ROOT = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 10 * 1024 * 1024
NEVER_SHIPPED = {"flask", "werkzeug", "waitress", "numpy", "cryptography", "lameenc", "miniaudio", "yaml", "gtts",
                 "mutagen", "PIL", "segno", "boto3", "botocore", "click", "prometheus_client"}

pytestmark = pytest.mark.slow  # one build, about 10 s


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """build/lambda.zip as deploy/build-lambda makes it, unzipped."""
    build = tmp_path_factory.mktemp("lambda-build")
    subprocess.run([str(ROOT / "deploy" / "build-lambda"), "--deps-from-env", "--out", str(build)], cwd=ROOT,
                   env={**os.environ, "LAMBDA_PYTHON": "/bin/false"}, check=True, capture_output=True, timeout=300)
    unzipped = build / "unzipped"
    with zipfile.ZipFile(build / "lambda.zip") as archive:
        archive.extractall(unzipped)
    return unzipped


def test_the_package_is_under_ten_megabytes_unzipped(package: Path) -> None:
    size = sum(f.stat().st_size for f in package.rglob("*") if f.is_file())
    assert size <= LIMIT_BYTES, f"{size / 1e6:.1f} MB"


def test_the_package_leaves_out_the_web_server_the_audio_pipeline_and_boto3(package: Path) -> None:
    shipped = {p.name.removesuffix(".py") for p in package.iterdir()}
    assert not shipped & NEVER_SHIPPED
    assert {"skill", "plugins", "ask_sdk_core", "ask_sdk_model", "pluggy"} <= shipped


CLEAN_RUN = """
import json, sys
from importlib import metadata
sys.path.insert(0, sys.argv[1])
scans = []
for name in ("entry_points", "distributions"):  # either way of scanning the installed distributions
    scan = getattr(metadata, name)
    setattr(metadata, name, lambda *a, scan=scan, name=name, **kw: scans.append(name) or scan(*a, **kw))
import skill.lambda_handler as h
answers = [h.handler(event) for event in json.loads(sys.argv[2])]
outside = sorted(m.__name__ for m in list(sys.modules.values())
                 if getattr(m, "__file__", None) and not m.__file__.startswith((sys.argv[1], sys.base_prefix)))
print(json.dumps({"answers": answers, "outside": outside, "scans": scans}))
"""


def test_the_handler_answers_from_the_package_alone_in_a_clean_interpreter(package: Path, tmp_path: Path) -> None:
    started = testing.intent_request("StartRoutineIntent", {"routine": ("post-run stretch", "recovery")}, new=True)
    events = [testing.launch_request(), started]
    env = {"PATH": os.environ["PATH"], "BANDCOACH_DATA_DIR": str(tmp_path / "data"),
           "BANDCOACH_CACHE_DIR": str(tmp_path / "cache"), "BANDCOACH_SKILL_ID": testing.DEFAULT_APP_ID}
    result = subprocess.run([sys.executable, "-I", "-S", "-c", CLEAN_RUN, str(package), json.dumps(events)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    ran = json.loads(result.stdout)
    assert ran["outside"] == []
    assert ran["scans"] == []  # the build's registry named the plugins: no scan of the distributions
    launch, start = ran["answers"]
    assert "Welcome to Band Coach" in launch["response"]["outputSpeech"]["ssml"]
    assert start["sessionAttributes"]["position"]["routine"] == "recovery"


def test_the_registry_lists_every_builtin_entry_point(package: Path) -> None:
    listed = {e["name"]: e for e in json.loads((package / "bandcoach-entry-points.json").read_text())}
    assert {"warmup", "recovery", "progression", "espeak"} <= set(listed)
    assert listed["warmup"] == {"name": "warmup", "value": "plugins.warmup", "dist": "bandcoach",
                                "version": listed["warmup"]["version"]}


def test_a_registry_loads_what_it_lists_including_a_third_party_plugin(third_party, tmp_path: Path) -> None:
    third_party("bandcoach_yoga")
    registry = tmp_path / "bandcoach-entry-points.json"
    registry.write_text(json.dumps([{"name": "yoga", "value": "bandcoach_yoga", "dist": "bandcoach-yoga",
                                     "version": "0.1"}]))
    pm = make_plugin_manager(load=False)
    load_entry_points(pm, registry=registry)
    assert [(i.name, i.dist) for i in pm.info()] == [("yoga", "bandcoach-yoga")]
