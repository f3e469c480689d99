#!/usr/bin/env node
// Drives a running Band Coach server with virtual-alexa, a client we did not write: it reads the
// interaction model, resolves utterances and builds request envelopes itself (its own entity
// resolution), then POSTs them to the skill URL like Alexa would.
//
// Usage: node virtual_alexa.js <skill-url> <interaction-model.json> [group ...]
// Prints one JSON object {group: {passed, checks, error, transcript}} on stdout; exits 1 when any
// group failed. tests/e2e/test_e2e_virtual_alexa.py runs it against `bandcoach serve`.
"use strict";

const fs = require("fs");
const { VirtualAlexa } = require("virtual-alexa");
const { CheckFailed, plain, runGroups } = require("./groups");

const [skillURL, modelFile, ...only] = process.argv.slice(2);
if (!skillURL || !modelFile) {
  console.error("usage: node virtual_alexa.js <skill-url> <interaction-model.json> [group ...]");
  process.exit(2);
}
const language = JSON.parse(fs.readFileSync(modelFile, "utf8")).interactionModel.languageModel;
const slotType = (name) => language.types.find((t) => t.name === name).values;

// What a person says, as speech recognition writes it: nobody pronounces a hyphen.
const spoken = (text) => text.replace(/-/g, " ").replace(/\s+/g, " ").trim();
const clip = (text) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);
const TRANSCRIPT_TURNS = 20; // the last turns kept for a failure report
const allNames = (value) => [value.name.value, ...(value.name.synonyms || [])];
const LENGTH_WORD = /^(quick|short|fast|quickie|brief|little|mini|long|full|longer|complete|extended|proper|whole) /;
const ADDED_NOUN = / (session|one|exercises)$/;

// One conversation with the skill: a fresh VirtualAlexa (new session, new user), a transcript,
// and assertions on every response.
class Talk {
  constructor(report) {
    this.report = report;
    this.alexa = VirtualAlexa.Builder().interactionModelFile(modelFile).skillURL(skillURL).create();
  }

  async send(label, call) {
    let response;
    try {
      response = await call();
    } catch (err) {
      this.report.transcript.push(`> ${label}\n  !! ${err}`);
      throw new CheckFailed(`${label}: the request failed: ${err}`);
    }
    const body = response.response || {};
    const turn = {
      label,
      speech: plain(body.outputSpeech && body.outputSpeech.ssml),
      reprompt: plain(body.reprompt && body.reprompt.outputSpeech && body.reprompt.outputSpeech.ssml),
      end: body.shouldEndSession,
      attributes: response.sessionAttributes || {},
      directives: body.directives || [],
    };
    this.report.transcript.push(`> ${label}\n  < ${clip(turn.speech) || "(no speech)"}`);
    this.report.transcript.splice(0, this.report.transcript.length - TRANSCRIPT_TURNS);
    return new Turn(this.report, turn);
  }

  launch() {
    return this.send("(launch)", () => this.alexa.launch());
  }

  utter(text) {
    return this.send(text, () => this.alexa.utter(text));
  }

  // Alexa answers an utterance outside the model with AMAZON.FallbackIntent; virtual-alexa throws
  // instead, so first prove it is outside the model, then send what Alexa would.
  async outsideModel(text) {
    try {
      this.alexa.utter(text).catch(() => {});
    } catch (err) {
      return this.send(`${text} (outside the model)`, () => this.alexa.intend("AMAZON.FallbackIntent"));
    }
    throw new CheckFailed(`${JSON.stringify(text)} matched an intent of the model; pick an utterance outside it`);
  }

  endSession() {
    return this.send("(session ended)", () => this.alexa.endSession());
  }
}

class Turn {
  constructor(report, data) {
    Object.assign(this, data);
    this.report = report;
  }

  check(ok, what) {
    this.report.checks += 1;
    if (!ok) {
      throw new CheckFailed(`${this.label}: ${what}\n  speech: ${this.speech}\n  attributes: ${JSON.stringify(this.attributes)}`);
    }
    return this;
  }

  says(...parts) {
    for (const part of parts) {
      this.check(this.speech.toLowerCase().includes(part.toLowerCase()), `speech should contain ${JSON.stringify(part)}`);
    }
    return this;
  }

  reprompts(part) {
    return this.check(this.reprompt.toLowerCase().includes(part.toLowerCase()), `reprompt should contain ${JSON.stringify(part)}`);
  }

  continues() {
    return this.check(this.end === false && this.reprompt !== "", "the session should stay open with a reprompt");
  }

  ends() {
    return this.check(this.end === true, "the session should end (shouldEndSession true)");
  }

  at(expected) {
    const position = this.attributes.position || {};
    for (const [key, value] of Object.entries(expected)) {
      this.check(position[key] === value, `position.${key} should be ${JSON.stringify(value)}, is ${JSON.stringify(position[key])}`);
    }
    return this;
  }

  noPosition() {
    return this.check(!this.attributes.position, "no routine position should be kept");
  }
}

const routines = slotType("ROUTINE");
const bands = slotType("BAND_LEVEL");
const exercises = slotType("EXERCISE");
const routineNames = routines.map((r) => r.name.value);

// Each group is one behaviour; it gets a fresh Talk whenever it needs a fresh session.
const GROUPS = {
  async launch(talk) {
    const turn = await talk().launch();
    turn.says("Welcome to Band Coach", ...routineNames).continues().reprompts("Which routine");
  },

  async routine_aliases(talk) {
    // The plugins' own names, not the forms the model adds around them ("quick ...", "... one").
    const own = (name) => !LENGTH_WORD.test(name) && !ADDED_NOUN.test(name);
    for (const routine of routines) {
      for (const name of allNames(routine).filter(own)) {
        // One-shot ("ask band coach to start X") and in-session ("X" after opening the skill).
        (await talk().utter(`ask band coach to start ${spoken(name)}`))
          .at({ routine: routine.id, block: 0 }).says(routine.name.value).continues();
        const t = talk();
        await t.launch();
        (await t.utter(spoken(name))).at({ routine: routine.id, block: 0 }).says(routine.name.value).continues();
      }
    }
  },

  async band_levels(talk) {
    // The glutes start with the band squat, coached on the runner's level but never above its own
    // medium band, so the first exercise line says which level was heard (up to medium).
    const levels = ["light", "medium", "heavy"];
    const coached = (level) => levels[Math.min(levels.indexOf(level), levels.indexOf("medium"))];
    for (const band of bands) {
      for (const name of allNames(band)) {
        (await talk().utter(`ask band coach to start glutes with a ${spoken(name)} band`))
          .at({ routine: "glutes", band: band.id })
          .says(`band squat. ${coached(band.id)} loop band just above your knees`).continues();
      }
    }
  },

  async minutes(talk) {
    // A length in minutes is met by whole exercises (Place.minutes); a length word picks a variant.
    (await talk().utter("ask band coach to start a five minute recovery")).at({ routine: "recovery", minutes: 5 });
    (await talk().utter("ask band coach to give me twenty minutes of glutes")).at({ routine: "glutes", minutes: 20 });
    (await talk().utter("ask band coach to do a five minute desk routine with a heavy band"))
      .at({ routine: "desk", minutes: 5, band: "heavy" });
    (await talk().utter("ask band coach to start a quick stretch")).at({ routine: "recovery", variant: "short" })
      .says("the short version");
  },

  async navigation(talk) {
    const t = talk();
    (await t.utter("ask band coach to start the desk routine")).at({ routine: "desk", block: 0 });
    (await t.utter("go back")).at({ block: 0 }).says("first exercise").continues();
    (await t.utter("next")).at({ block: 1 }).says("Exercise 2 of").continues().reprompts("Say next");
    (await t.utter("previous")).at({ block: 0 }).says("Exercise 1 of").continues();
    (await t.utter("next")).at({ block: 1 });
    (await t.utter("repeat that")).at({ block: 1 }).says("Exercise 2 of").continues();
    (await t.utter("pause")).at({ block: 1 }).says("Paused at").continues().reprompts("resume");
    (await t.utter("resume")).at({ block: 1 }).says("Exercise 2 of").continues();
    (await t.utter("start over")).at({ block: 0 }).says("Desk routine").continues();
    (await t.utter("stop")).says("Stopping Desk routine").ends();
  },

  async to_the_end(talk) {
    for (const routine of routines) {
      const t = talk();
      let turn = await t.utter(`ask band coach to start ${spoken(routine.name.value)}`);
      for (let step = 0; step < 40 && turn.end === false; step += 1) {
        turn.at({ routine: routine.id, block: step }).continues();
        turn = await t.utter("next");
      }
      turn.ends();
    }
  },

  async help(talk) {
    const t = talk();
    await t.launch();
    (await t.utter("help")).says("Band Coach talks you through").continues().noPosition();
    (await t.utter("start the post run stretch")).at({ routine: "recovery" });
    (await t.utter("help")).says("You're on exercise 1 of", "Post-run stretch").continues().at({ routine: "recovery" });
  },

  async fallback(talk) {
    const t = talk();
    await t.launch();
    (await t.outsideModel("order me a large pizza")).says("Sorry, I can't help with that").continues().noPosition();
    (await t.utter("start the glutes")).at({ routine: "glutes" });
    (await t.outsideModel("what's the weather tomorrow")).says("Sorry, I didn't get that").continues()
      .at({ routine: "glutes", block: 0 });
  },

  async list_routines(talk) {
    const t = talk();
    await t.launch();
    (await t.utter("what routines do you have")).says("Here are your routines", ...routineNames)
      .continues().noPosition();
    (await t.utter("start the desk")).at({ routine: "desk" });
    (await t.utter("list routines")).says("Here are your routines").at({ routine: "desk", block: 0 });
  },

  async describe_exercise(talk) {
    for (const exercise of exercises) {
      (await talk().utter(`ask band coach to explain the ${spoken(exercise.name.value)}`))
        .says(exercise.name.value, "Aim for").continues();
    }
    const t = talk();
    (await t.utter("ask band coach to start the warm up")).at({ routine: "warmup", block: 0 });
    (await t.utter("explain the band squat")).says("band squat").reprompts("Say next").at({ routine: "warmup", block: 0 });
  },

  async ending(talk) {
    (await talk().utter("ask band coach to cancel")).says("Nice work today").ends();
    const t = talk();
    await t.utter("ask band coach to start the stretch");
    (await t.utter("cancel")).says("Stopping Post-run stretch").ends();
    const home = talk();
    await home.utter("ask band coach to start the desk");
    (await home.utter("go home")).says("Stopping Desk routine").ends();
    const quiet = talk();
    await quiet.launch();
    const ended = await quiet.endSession();
    ended.check(ended.speech === "", "a SessionEndedRequest gets no speech");
  },

  // Hands-free playback (AudioPlayer) has its own driver, virtual_alexa_audio.js: it needs a server
  // with warmed audio and an https public URL (tests/e2e/test_e2e_audioplayer.py).
};

runGroups(GROUPS, only, (report) => [() => new Talk(report)]);
