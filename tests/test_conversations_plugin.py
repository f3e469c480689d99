"""The conversation-file pytest plugin (skill.testing.pytest_plugin), proven with pytester."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

PASSING = """\
- say: ask band coach for a post-run stretch
  expect:
    speech: [Post-run stretch, Exercise 1 of 6]
    end_session: false
    attributes: {position.routine: recovery, position.block: 0}
- say: next
  expect:
    speech: Exercise 2 of 6
    attributes: {position.block: 1}
"""


@pytest.fixture
def write(pytester: pytest.Pytester):
    """Write a conversation file under the pytester directory."""

    def _write(relative: str, text: str) -> None:
        path = pytester.path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))

    return _write


def test_passing_conversation_passes(pytester: pytest.Pytester, write) -> None:
    write("conversations/recovery.yaml", PASSING)
    pytester.runpytest().assert_outcomes(passed=1)


def test_failing_turn_fails_with_the_transcript_so_far(pytester: pytest.Pytester, write) -> None:
    write("conversations/recovery.yaml", PASSING + "- say: pause\n  expect: {speech: Stopped for good}\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*conversation 'recovery' in recovery.yaml failed:*",
        "*turn 3 (you: pause): speech lacks 'Stopped for good'*",
        "*transcript so far:*",
        "*1. you: ask band coach for a post-run stretch*",
        "*2. you: next*",
        "*alexa: Exercise 2 of 6*",
        "*3. you: pause*",
        "*alexa: Paused at*",
    ])


def test_each_named_conversation_is_its_own_test(pytester: pytest.Pytester, write) -> None:
    write("conversations/several.yaml", """\
        opens:
          - say: open band coach
            expect: {speech: Welcome to Band Coach, end_session: false}
        stops:
          locale: en-GB
          turns:
            - say: stop
              expect: {end_session: true}
        wrong:
          - say: list routines
            expect: {end_session: true}
        """)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*several.yaml::opens PASSED*", "*several.yaml::wrong FAILED*"])


def test_conversation_prefix_is_collected_anywhere_and_other_yaml_is_not(pytester: pytest.Pytester, write) -> None:
    write("checks/conversation_open.yaml", "- say: open band coach\n  expect: {speech: Welcome}\n")
    write("checks/settings.yaml", "not: a conversation\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_request_builders_and_raw_requests(pytester: pytest.Pytester, write) -> None:
    write("conversations/requests.yaml", """\
        - request: {launch: {}}
          expect: {speech: Welcome, reprompt: Which routine}
        - request: {intent: {name: StartRoutineIntent, slots: {routine: [desk routine, desk], band: heavy}}}
          expect: {attributes: {position.band: heavy, position.routine: desk}}
        - request: {audio_player: {kind: PlaybackStopped, token: abc}}
          expect: {silent: true}
        - request: {type: AlexaSkillEvent.SkillEnabled}
          expect: {silent: true, status: 200}
        """)
    pytester.runpytest().assert_outcomes(passed=1)


def test_unknown_expectation_is_reported_with_the_fix(pytester: pytest.Pytester, write) -> None:
    write("conversations/typo.yaml", "- say: open band coach\n  expect: {speach: Welcome}\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*unknown expectations*speach*; use*"])


def test_utterance_outside_the_model_names_close_matches(pytester: pytest.Pytester, write) -> None:
    write("conversations/nomatch.yaml", "- say: open band coach\n- say: lisst routines\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no intent matches 'lisst routines'*Close matches*", "*transcript so far:*"])
    assert "Traceback" not in result.stdout.str()


def test_malformed_file_is_a_collection_error(pytester: pytest.Pytester, write) -> None:
    write("conversations/bad.yaml", "just a string\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*a conversation file holds a list of turns*"])


def test_plugin_authors_allow_their_plugin_with_an_ini_option(pytester: pytest.Pytester, write, third_party) -> None:
    third_party("bandcoach_yoga")
    write("conversations/yoga.yaml", """\
        - say: ask band coach to start the yoga flow
          expect: {speech: Band yoga flow, attributes: {position.routine: yoga}}
        """)
    pytester.runpytest().assert_outcomes(failed=1)  # built-ins only by default
    pytester.makeini("[pytest]\nbandcoach_load_plugins = bandcoach, bandcoach-yoga\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_app_factory_ini_option_gives_full_control(pytester: pytest.Pytester, write) -> None:
    pytester.makepyfile(my_factory="""
        from dataclasses import replace
        from skill.web.app import create_app

        def make_app(settings):
            return create_app(replace(settings, load_plugins=()))  # no plugins at all
        """)
    pytester.syspathinsert()
    pytester.makeini("[pytest]\nbandcoach_app_factory = my_factory:make_app\n")
    write("conversations/empty.yaml", "- say: list routines\n  expect: {speech: I have no routines to offer}\n")
    pytester.runpytest().assert_outcomes(passed=1)
