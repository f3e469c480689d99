// What the virtual-alexa drivers share: reading speech as text, and running named groups of checks.
"use strict";

// What Alexa would say, as text: SSML tags become spaces, XML entities their characters, runs of
// whitespace one space (&amp; last, so "&amp;lt;" reads "&lt;" as written).
const plain = (ssml) => (ssml || "").replace(/<[^>]+>/g, " ").replace(/&quot;/g, '"').replace(/&lt;/g, "<")
  .replace(/&gt;/g, ">").replace(/&amp;/g, "&").replace(/\s+/g, " ").trim();

// A failed expectation: reported as its message, where any other error reports its stack.
class CheckFailed extends Error {}

// Run `groups[name](makeArg(report), report)` for each requested name (all when `only` is empty),
// print {name: report} as JSON, and set the exit code: 0 only when every group passed.
async function runGroups(groups, only, makeArg, extra = () => ({})) {
  const names = only.length ? only : Object.keys(groups);
  const results = {};
  for (const name of names) {
    const report = { passed: false, checks: 0, error: null, transcript: [], ...extra() };
    results[name] = report;
    if (!groups[name]) {
      report.error = `no group called ${name}: use one of ${Object.keys(groups).join(", ")}`;
      continue;
    }
    try {
      await groups[name](...makeArg(report));
      report.passed = true;
    } catch (err) {
      report.error = err instanceof CheckFailed ? err.message : String(err && err.stack || err);
    }
  }
  // exitCode, not exit(): exit() may cut a large report short when stdout is a pipe.
  process.stdout.write(JSON.stringify(results, null, 1) + "\n");
  process.exitCode = Object.values(results).every((r) => r.passed) ? 0 : 1;
}

module.exports = { CheckFailed, plain, runGroups };
