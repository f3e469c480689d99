#!/usr/bin/env node
// Parses a podcast feed with podcast-partytime (Podcast Index's parser, which we did not write).
//
// Usage: node partytime.js [feed.xml] (else the XML on stdin). Prints {"feed": <partytime's FeedObject,
// or null when it refuses the feed>} as JSON on stdout, dates as ISO strings; exits 2 without XML.
"use strict";

const fs = require("fs");
const { parseFeed } = require("podcast-partytime");

function report(xml) {
  if (!xml.trim()) {
    console.error("usage: node partytime.js [feed.xml] (or the feed on stdin)");
    process.exitCode = 2;
    return;
  }
  const feed = parseFeed(xml, { allowMissingGuid: false });
  process.stdout.write(JSON.stringify({ feed }) + "\n");
}

if (process.argv[2]) {
  report(fs.readFileSync(process.argv[2], "utf8"));
} else {
  const chunks = [];
  process.stdin.on("data", (chunk) => chunks.push(chunk));
  process.stdin.on("end", () => report(Buffer.concat(chunks).toString("utf8")));
}
