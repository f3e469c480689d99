// A stand-in skill for nlu_resolve.js: virtual-alexa calls it like a Lambda handler; it answers
// every request with an empty response, because only the request virtual-alexa built is inspected.
"use strict";

exports.handler = (event, context, callback) => {
  const response = { version: "1.0", response: { shouldEndSession: true } };
  if (callback) callback(null, response);
  else if (context && context.succeed) context.succeed(response);
  return response;
};
