"""virtual-alexa (a client we did not write) drives `bandcoach serve` over HTTP by utterance."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.e2e_node import ROOT, LiveServer, passed, run_node_json, serve

pytestmark = pytest.mark.e2e

MODEL = ROOT / "interaction_models" / "en-US.json"
# The behaviours tests/e2e/virtual_alexa.js checks, one test each (it reports exactly these).
GROUPS = ("launch", "routine_aliases", "band_levels", "minutes", "navigation", "to_the_end", "help", "fallback",
          "list_routines", "describe_exercise", "ending")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server process for the module, on 127.0.0.1 and a free port."""
    with serve(tmp_path_factory.mktemp("virtual-alexa")) as live:
        yield live


@pytest.fixture(scope="module")
def report(server: LiveServer) -> dict[str, Any]:
    """Every group's result from one run of the node driver."""
    return run_node_json("virtual_alexa.js", server.alexa_url, str(MODEL))


def test_driver_reports_exactly_the_known_groups(report: dict[str, Any]) -> None:
    assert sorted(report) == sorted(GROUPS)


@pytest.mark.parametrize("group", GROUPS)
def test_virtual_alexa_conversation(report: dict[str, Any], group: str, server: LiveServer) -> None:
    passed(report, group, server)
