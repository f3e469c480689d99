#!/usr/bin/env node
// Drives hands-free playback of a running Band Coach server with virtual-alexa's simulated
// AudioPlayer: the device itself reacts to Play/Enqueue/Stop directives and sends
// AudioPlayer.PlaybackStarted/Stopped/NearlyFinished/Finished events, as an Echo would.
//
// Usage: node virtual_alexa_audio.js <skill-url> <interaction-model.json> <public-url> [group ...]
// Prints one JSON object {group: {passed, checks, error, transcript, facts}} on stdout; exits 1 when
// any group failed. tests/e2e/test_e2e_audioplayer.py runs it against `bandcoach serve` with the
// desk routine's short variant warmed and an https public URL that nothing ever fetches.
//
// virtual-alexa 0.7.8 has no PlaybackController (the device's buttons) and no PlaybackFailed
// event: the `buttons` and `failed` groups build those envelopes with its own request builder
// (alexa.request().requestType(...)), so the answers still reach the simulated player.
"use strict";

const fs = require("fs");
const { VirtualAlexa } = require("virtual-alexa");
const { CheckFailed, plain, runGroups } = require("./groups");

const [skillURL, modelFile, publicURL, ...only] = process.argv.slice(2);
if (!skillURL || !modelFile || !publicURL) {
  console.error("usage: node virtual_alexa_audio.js <skill-url> <interaction-model.json> <public-url> [group ...]");
  process.exit(2);
}
JSON.parse(fs.readFileSync(modelFile, "utf8")); // a broken model fails here, not as an unmatched utterance

const PLAY = "AudioPlayer.Play";
const STOP = "AudioPlayer.Stop";
const START = "ask band coach to play a short desk routine"; // PlayRoutineIntent: desk, short variant, its own band
const SEGMENTS = 3; // blocks of desk's short variant: one segment per exercise (test_e2e_audioplayer.py checks it)
const SEGMENT_URL = new RegExp(`^${publicURL.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}/audio/[0-9a-f]{64}\\.mp3$`);
const TRANSCRIPT_LINES = 30;
const SILENT_KEYS = ["outputSpeech", "reprompt", "card"];
// Events that only report: the skill remembers where the runner is and answers with nothing at all.
const REPORTS = ["AudioPlayer.PlaybackStarted", "AudioPlayer.PlaybackStopped", "AudioPlayer.PlaybackFinished"];

const isEvent = (type) => /^(AudioPlayer|PlaybackController)\./.test(type);

// The token's fields (docs/handsfree.md): bc2.<routine>.<variant>.<band>.<extra>.<locale>.<segment>.<started>.<seal>
function segmentOf(token) {
  const parts = String(token).split(".");
  return parts.length === 9 && parts[0] === "bc2" ? { routine: parts[1], variant: parts[2], band: parts[3],
    index: Number(parts[6]), started: parts[7] } : null;
}

// One Echo with one user: a fresh VirtualAlexa, and a log of every envelope it POSTs with the answer.
class Device {
  constructor(report) {
    this.report = report;
    this.alexa = VirtualAlexa.Builder().interactionModelFile(modelFile).skillURL(skillURL).create();
    this.exchanges = [];
    this.inFlight = [];
    // The device sends some events on its own (PlaybackStarted after a Play, PlaybackStopped before a
    // voice command) and hands back only the answer to the call we made, so record at the interactor.
    const interactor = this.alexa.interactor();
    const invoke = interactor.invoke.bind(interactor);
    interactor.invoke = (request) => {
      const exchange = { request, response: null };
      this.exchanges.push(exchange);
      const answered = invoke(request).then((response) => { exchange.response = response; return response; });
      this.inFlight.push(answered.catch(() => {}));
      return answered;
    };
  }

  get userId() {
    return this.alexa.context().user().id();
  }

  player() {
    return this.alexa.audioPlayer();
  }

  nowPlaying() {
    const item = this.player().playing();
    return item && this.player().isPlaying() ? item.stream.token : null;
  }

  // Run one step, wait for every request it caused (including ones the device fires and forgets),
  // check that every answer to an AudioPlayer or PlaybackController event is silent, and return a Step.
  async step(label, call) {
    const first = this.exchanges.length;
    try {
      await call();
      for (let settled = -1; settled !== this.inFlight.length;) {
        settled = this.inFlight.length;
        await Promise.all(this.inFlight);
      }
    } catch (err) {
      this.note(`> ${label}\n  !! ${err}`);
      throw new CheckFailed(`${label}: the request failed: ${err}`);
    }
    const step = new Step(this.report, label, this.exchanges.slice(first));
    this.note(`> ${label}\n${step.exchanges.map(describe).join("\n")}`);
    for (const { request, response } of step.exchanges) {
      if (isEvent(request.request.type)) {
        const noisy = SILENT_KEYS.filter((key) => response && response.response && key in response.response);
        step.check(noisy.length === 0, `the answer to ${request.request.type} carries ${noisy.join(", ")}`);
      }
      if (REPORTS.includes(request.request.type)) {
        step.check(!((response.response || {}).directives || []).length, `the answer to ${request.request.type} should be empty`);
      }
    }
    return step;
  }

  note(line) {
    this.report.transcript.push(line);
    this.report.transcript.splice(0, this.report.transcript.length - TRANSCRIPT_LINES);
  }

  utter(text) {
    return this.step(text, () => this.alexa.utter(text));
  }

  // Let the current segment play to `offset` ms, then send the event virtual-alexa has a method for.
  event(kind, offset) {
    if (offset !== undefined) this.player().playbackOffset(offset);
    return this.step(`(device: ${kind} at ${offset || 0} ms)`, () => this.player()[kind]());
  }

  // An envelope virtual-alexa cannot simulate, built with its request builder (its user, device and
  // AudioPlayer context), so the answer's directives still reach the simulated player.
  raw(type, token, offset, fields = {}) {
    return this.step(`(device: ${type})`, () => {
      const request = this.alexa.request().requestType(type)
        .set("context.AudioPlayer", { token, offsetInMilliseconds: offset, playerActivity: "PLAYING" });
      for (const [path, value] of Object.entries(fields)) request.set(path, value);
      return request.send();
    });
  }
}

function describe({ request, response }) {
  const req = request.request;
  const what = req.intent ? req.intent.name : req.type;
  const token = req.token || (request.context.AudioPlayer || {}).token;
  const at = token ? ` [${(segmentOf(token) || { index: "?" }).index}@${req.offsetInMilliseconds || 0}]` : "";
  const body = (response && response.response) || {};
  const directives = (body.directives || []).map((d) => (d.type === PLAY
    ? `Play ${d.playBehavior} [${(segmentOf(d.audioItem.stream.token) || { index: "?" }).index}@${d.audioItem.stream.offsetInMilliseconds}]`
    : d.type));
  const speech = plain(body.outputSpeech && body.outputSpeech.ssml);
  return `  ${what}${at} -> ${[speech && `"${speech.slice(0, 120)}"`, ...directives].filter(Boolean).join(" + ") || "(empty)"}`;
}

// What one step sent and got back, with assertions on it.
class Step {
  constructor(report, label, exchanges) {
    this.report = report;
    this.label = label;
    this.exchanges = exchanges;
  }

  check(ok, what) {
    this.report.checks += 1;
    if (!ok) throw new CheckFailed(`${this.label}: ${what}`);
    return this;
  }

  // The one exchange whose request is `type` (a request type or an intent name).
  only(type) {
    const found = this.exchanges.filter(({ request }) => request.request.type === type
      || (request.request.intent && request.request.intent.name === type));
    this.check(found.length === 1, `expected one ${type} request, the device sent ${found.length}`);
    return found[0];
  }

  sent(type) {
    return this.exchanges.some(({ request }) => request.request.type === type);
  }

  answer(type) {
    return this.only(type).response.response || {};
  }

  speech(type) {
    return plain((this.answer(type).outputSpeech || {}).ssml);
  }

  directives(type) {
    return this.answer(type).directives || [];
  }

  // The stream of the single Play directive answering `type`, checked for an https URL and our token.
  play(type, behavior) {
    const plays = this.directives(type).filter((d) => d.type === PLAY);
    this.check(plays.length === 1, `the answer to ${type} should hold one ${PLAY}, holds ${plays.length}`);
    this.check(plays[0].playBehavior === behavior, `playBehavior should be ${behavior}, is ${plays[0].playBehavior}`);
    const stream = plays[0].audioItem.stream;
    this.check(SEGMENT_URL.test(stream.url), `the stream URL should be ${publicURL}/audio/<key>.mp3, is ${stream.url}`);
    const segment = segmentOf(stream.token);
    this.check(segment && segment.routine === "desk" && segment.variant === "short",
      `the token should name desk's short variant, is ${stream.token}`);
    return { ...stream, segment };
  }

  // The request type the device sent for `token`, e.g. the PlaybackStarted that follows a Play.
  sentFor(type, token) {
    return this.check(this.exchanges.some(({ request }) => request.request.type === type && request.request.token === token),
      `the device should send ${type} for ${token}`);
  }

  noDirectives(type) {
    return this.check(this.directives(type).length === 0, `the answer to ${type} should hold no directive`);
  }
}

// Start desk hands-free on a fresh device: the first segment is playing.
async function started(device) {
  const step = await device.utter(START);
  const first = step.play("PlayRoutineIntent", "REPLACE_ALL");
  step.check(step.speech("PlayRoutineIntent").includes("Hands-free"), "the start should be announced")
    .check(step.answer("PlayRoutineIntent").shouldEndSession === true, "the session should end once playing")
    .check(first.segment.index === 0 && first.offsetInMilliseconds === 0, "playback should start at segment 0, 0 ms")
    .sentFor("AudioPlayer.PlaybackStarted", first.token)
    .noDirectives("AudioPlayer.PlaybackStarted")
    .check(device.nowPlaying() === first.token, "the device should be playing the first segment");
  return first;
}

// Each group is one behaviour on its own device (its own user and player).
const GROUPS = {
  async plays(device, facts) {
    const first = await started(device);
    facts.urls = [first.url];
  },

  async whole_workout(device, facts) {
    let playing = await started(device);
    facts.userId = device.userId;
    facts.urls = [playing.url];
    for (let index = 1; index < SEGMENTS; index += 1) {
      const nearly = await device.event("playbackNearlyFinished", 60000);
      const next = nearly.play("AudioPlayer.PlaybackNearlyFinished", "ENQUEUE");
      nearly.check(next.expectedPreviousToken === playing.token,
        `expectedPreviousToken should be the playing token ${playing.token}, is ${next.expectedPreviousToken}`)
        .check(next.segment.index === index, `the enqueued segment should be ${index}, is ${next.segment.index}`)
        .check(next.segment.started === playing.segment.started, "the enqueued segment should be the same workout")
        .check(next.url !== playing.url, "the next segment should have its own URL");
      const finished = await device.event("playbackFinished");
      finished.sentFor("AudioPlayer.PlaybackFinished", playing.token).noDirectives("AudioPlayer.PlaybackFinished")
        .sentFor("AudioPlayer.PlaybackStarted", next.token)
        .check(device.nowPlaying() === next.token, `the device should move on to segment ${index}`);
      facts.urls.push(next.url);
      playing = next;
    }
    (await device.event("playbackNearlyFinished", 80000)).noDirectives("AudioPlayer.PlaybackNearlyFinished");
    const end = await device.event("playbackFinished");
    end.sentFor("AudioPlayer.PlaybackFinished", playing.token).noDirectives("AudioPlayer.PlaybackFinished")
      .check(!end.sent("AudioPlayer.PlaybackStarted"), "nothing should play after the last segment");
    // The device still reports the last token (FINISHED): resuming must not replay it and count it twice.
    const resume = await device.utter("resume");
    resume.check(resume.speech("AMAZON.ResumeIntent").includes("already finished"), "resume should say the workout is done")
      .noDirectives("AMAZON.ResumeIntent")
      .check(device.nowPlaying() === null, "nothing should play after resuming a finished workout");
  },

  async voice_commands(device) {
    const first = await started(device);
    device.player().playbackOffset(31000);
    const pause = await device.utter("pause");
    pause.sentFor("AudioPlayer.PlaybackStopped", first.token)
      .check(pause.only("AudioPlayer.PlaybackStopped").request.request.offsetInMilliseconds === 31000,
        "the device reports where it stopped")
      .check(pause.directives("AMAZON.PauseIntent").map((d) => d.type).join() === STOP, "pause should answer AudioPlayer.Stop alone")
      .check(!pause.speech("AMAZON.PauseIntent"), "pause should be silent")
      .check(device.nowPlaying() === null, "the device should stay stopped after pause");

    const resume = await device.utter("resume");
    const resumed = resume.play("AMAZON.ResumeIntent", "REPLACE_ALL");
    resume.check(resumed.token === first.token, "resume should play the paused segment")
      .check(resumed.offsetInMilliseconds === 31000, `resume should start at 31000 ms, starts at ${resumed.offsetInMilliseconds}`)
      .sentFor("AudioPlayer.PlaybackStarted", first.token);

    device.player().playbackOffset(40000);
    const next = await device.utter("next");
    const second = next.play("AMAZON.NextIntent", "REPLACE_ALL");
    next.check(second.segment.index === 1 && second.offsetInMilliseconds === 0, "next should play segment 1 from its start")
      .check(second.segment.started === first.segment.started, "next should stay in the same workout")
      .sentFor("AudioPlayer.PlaybackStarted", second.token)
      .check(device.nowPlaying() === second.token, "the device should play segment 1");

    const third = (await device.utter("skip")).play("AMAZON.NextIntent", "REPLACE_ALL");
    const back = await device.utter("previous");
    back.check(back.play("AMAZON.PreviousIntent", "REPLACE_ALL").token === second.token, "previous should play segment 1");
    const repeat = await device.utter("repeat");
    repeat.check(repeat.play("AMAZON.RepeatIntent", "REPLACE_ALL").token === second.token, "repeat should replay segment 1");
    const over = await device.utter("start over");
    const again = over.play("AMAZON.StartOverIntent", "REPLACE_ALL");
    over.check(third.segment.index === 2, "skip should have played segment 2")
      .check(again.token === first.token && again.offsetInMilliseconds === 0, "start over should play segment 0 from its start");

    const loop = await device.utter("loop on");
    loop.check(loop.speech("AMAZON.LoopOnIntent").includes("in order"), "loop should be declined politely")
      .noDirectives("AMAZON.LoopOnIntent")
      .check(device.nowPlaying() === first.token, "declining loop should leave the segment playing");

    const stop = await device.utter("stop");
    stop.check(stop.directives("AMAZON.StopIntent").map((d) => d.type).join() === STOP, "stop should answer AudioPlayer.Stop")
      .check(device.nowPlaying() === null, "the device should be stopped");
  },

  async last_segment(device) {
    const first = await started(device);
    let playing = first;
    for (let index = 1; index < SEGMENTS; index += 1) {
      playing = (await device.utter("next")).play("AMAZON.NextIntent", "REPLACE_ALL");
    }
    const past = await device.utter("next");
    past.check(past.speech("AMAZON.NextIntent").includes("last exercise"), "next on the last segment should say so")
      .noDirectives("AMAZON.NextIntent")
      .check(device.nowPlaying() === playing.token, "the last segment should carry on playing");
  },

  async buttons(device) {
    const first = await started(device);
    const next = await device.raw("PlaybackController.NextCommandIssued", first.token, 5000);
    const second = next.play("PlaybackController.NextCommandIssued", "REPLACE_ALL");
    next.check(second.segment.index === 1, "the next button should play segment 1")
      .sentFor("AudioPlayer.PlaybackStarted", second.token);
    const previous = await device.raw("PlaybackController.PreviousCommandIssued", second.token, 2000);
    previous.check(previous.play("PlaybackController.PreviousCommandIssued", "REPLACE_ALL").token === first.token,
      "the previous button should play segment 0");
    device.player().playbackOffset(22000);
    const pause = await device.raw("PlaybackController.PauseCommandIssued", first.token, 22000);
    pause.check(pause.directives("PlaybackController.PauseCommandIssued").map((d) => d.type).join() === STOP,
      "the pause button should answer AudioPlayer.Stop")
      .check(pause.only("AudioPlayer.PlaybackStopped").request.request.offsetInMilliseconds === 22000,
        "the device reports where it stopped")
      .check(device.nowPlaying() === null, "the device should stop");
    const play = await device.raw("PlaybackController.PlayCommandIssued", first.token, 22000);
    const resumed = play.play("PlaybackController.PlayCommandIssued", "REPLACE_ALL");
    play.check(resumed.token === first.token && resumed.offsetInMilliseconds === 22000,
      `the play button should resume segment 0 at 22000 ms, got ${resumed.segment.index} at ${resumed.offsetInMilliseconds}`)
      .check(device.nowPlaying() === first.token, "the device should play again");
  },

  async failed(device) {
    const first = await started(device);
    const failed = await device.step("(device: AudioPlayer.PlaybackFailed)", () => device.alexa.request()
      .audioPlayer("AudioPlayer.PlaybackFailed", first.token, 0)
      .set("request.error", { type: "MEDIA_ERROR_SERVICE_UNAVAILABLE", message: "the CDN is down" }).send());
    const skipped = failed.play("AudioPlayer.PlaybackFailed", "REPLACE_ALL");
    failed.check(skipped.segment.index === 1, "a failed segment should be skipped to the next")
      .check(device.nowPlaying() === skipped.token, "the device should play the next segment");
  },

  async not_warmed(device) {
    const step = await device.utter("ask band coach to play my glutes workout");
    const answer = step.answer("PlayRoutineIntent");
    step.check(step.speech("PlayRoutineIntent").includes("I can't play this one as audio right now"), "it should say it cannot play it as audio")
      .check(!(answer.directives || []).some((d) => d.type === PLAY), "no Play directive without cached audio")
      .check(answer.shouldEndSession === false, "step-by-step coaching keeps the session open")
      .check(step.only("PlayRoutineIntent").response.sessionAttributes.position.routine === "glutes",
        "step-by-step coaching should hold the glutes position")
      .check(device.nowPlaying() === null, "nothing should play");
  },
};

runGroups(GROUPS, only, (report) => [new Device(report), report.facts], () => ({ facts: {} }));
