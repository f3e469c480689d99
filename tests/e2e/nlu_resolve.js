#!/usr/bin/env node
// Resolves utterances with virtual-alexa, a client we did not write: its own sample matching and
// entity resolution over our interaction model, as the request it would send a skill.
//
// Usage: node nlu_resolve.js <interaction-model.json> <utterances.json>
// utterances.json is a JSON list of {say, oneShot}. Prints a JSON list, one entry per utterance:
// {intent, slots: {name: id-or-value}} or {intent: null, error} when virtual-alexa matches nothing.
//
// Four of virtual-alexa's shortcuts are worked around so that the model, not the harness, is judged:
// - its one-shot parser knows only "ask <name> to <request>"; Alexa also accepts "for", "about",
//   "and", "if", "whether", "that" and "<request> with <name>", so those are reduced to the request
//   here, as Alexa documents;
// - it treats any utterance containing "tell", "ask" or "open" as a launch ("tell me the routines"),
//   so in-session utterances skip that parser;
// - it passes AMAZON.NUMBER values on as spoken ("five"), where Alexa sends digits ("5");
// - "exit" ends the session without a request, as Alexa does: reported as SessionEndedRequest.
"use strict";

const fs = require("fs");
const path = require("path");
const { VirtualAlexa } = require("virtual-alexa");

const [modelFile, utterancesFile] = process.argv.slice(2);
if (!modelFile || !utterancesFile) {
  console.error("usage: node nlu_resolve.js <interaction-model.json> <utterances.json>");
  process.exit(2);
}
const language = JSON.parse(fs.readFileSync(modelFile, "utf8")).interactionModel.languageModel;
const invocation = language.invocationName.toLowerCase();
const utterances = JSON.parse(fs.readFileSync(utterancesFile, "utf8"));

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const name = escape(invocation);
const ONE_SHOT = [
  new RegExp(`^(?:alexa )?(?:ask|tell|use|have|get) ${name} (?:to |for |about |if |whether |and |that )?(.+)$`),
  new RegExp(`^(?:alexa )?(?:open|launch|start|begin|load|run|talk to) ${name} (?:and |to |for )?(.+)$`),
  new RegExp(`^(?:alexa )?(.+?) (?:with|using|from|on) ${name}$`),
];
const LAUNCH = new RegExp(`^(?:alexa )?(?:(?:open|launch|start|begin|load|run|talk to) )?${name}$`);

function requestOf(alexa, text) {
  return new Promise((resolve, reject) => {
    let captured = null;
    alexa.filter((request) => {
      captured = request;
    });
    alexa
      .utter(text)
      .then(() => resolve(captured))
      .catch((err) => (captured ? resolve(captured) : reject(err)));
  });
}

const NUMBERS = Object.fromEntries(
  ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " +
    "seventeen eighteen nineteen twenty").split(" ").map((word, n) => [word, n]),
);
Object.assign(NUMBERS, { thirty: 30, forty: 40, "forty five": 45, fifty: 50, sixty: 60, "twenty five": 25 });
const slotTypes = {};
for (const intent of language.intents) {
  for (const slot of intent.slots || []) slotTypes[`${intent.name}.${slot.name}`] = slot.type;
}

function slotsOf(intent) {
  const ids = {};
  const spoken = {};
  for (const [slotName, slot] of Object.entries(intent.slots || {})) {
    if (slot.value === undefined || slot.value === null || slot.value === "") continue;
    const authority = slot.resolutions && slot.resolutions.resolutionsPerAuthority;
    const match = authority && authority.find((a) => a.status && a.status.code === "ER_SUCCESS_MATCH");
    let value = String(slot.value);
    if (slotTypes[`${intent.name}.${slotName}`] === "AMAZON.NUMBER" && value in NUMBERS) value = String(NUMBERS[value]);
    ids[slotName] = match ? match.values[0].value.id : value;
    spoken[slotName] = String(slot.value);
  }
  return { ids, spoken };
}

async function main() {
  const handlerFile = path.join(__dirname, "nlu_echo.js");
  const results = [];
  // One virtual device for all utterances: building one parses the model, which costs more than resolving.
  const alexa = VirtualAlexa.Builder()
    .interactionModelFile(modelFile)
    .handler(`${handlerFile.replace(/\.js$/, "")}.handler`)
    .create();
  alexa.parseLaunchRequest = () => undefined; // the request part is never a launch
  for (const { say, oneShot } of utterances) {
    let text = say.toLowerCase().replace(/-/g, " ").replace(/\s+/g, " ").trim();
    if (oneShot) {
      if (LAUNCH.test(text)) {
        results.push({ intent: "LaunchRequest", slots: {} });
        continue;
      }
      const found = ONE_SHOT.map((re) => re.exec(text)).find(Boolean);
      if (found) text = found[1];
    }
    if (text === "exit") {
      results.push({ intent: "SessionEndedRequest", slots: {}, spoken: {} });
      continue;
    }
    try {
      const request = await requestOf(alexa, text);
      const intent = request && request.request && request.request.intent;
      if (intent) {
        const { ids, spoken } = slotsOf(intent);
        results.push({ intent: intent.name, slots: ids, spoken });
      } else {
        results.push({ intent: null, error: "no request" });
      }
    } catch (err) {
      results.push({ intent: null, error: String(err.message || err).slice(0, 200) });
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
