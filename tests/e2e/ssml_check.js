#!/usr/bin/env node
// Checks SSML strings with ssml-check-core (a checker we did not write) for the Amazon platform.
//
// Usage: node ssml_check.js <corpus.json>, where corpus.json is [{where, locale, ssml}, ...] as
// tests/support/ssml_corpus.py writes it. Prints {checked, failures: [{where, locale, ssml, errors}]} on
// stdout and exits 1 when any string has an error.
"use strict";

const fs = require("fs");
const ssmlCheck = require("ssml-check-core");

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node ssml_check.js <corpus.json>");
    process.exitCode = 2;
    return;
  }
  const corpus = JSON.parse(fs.readFileSync(file, "utf8"));
  const failures = [];
  for (const item of corpus) {
    const errors = await ssmlCheck.check(item.ssml, { platform: "amazon", locale: item.locale, getPositions: true });
    if (errors && errors.length) {
      failures.push({ ...item, errors });
    }
  }
  process.stdout.write(JSON.stringify({ checked: corpus.length, failures }) + "\n");
  process.exitCode = failures.length ? 1 : 0;
}

main();
