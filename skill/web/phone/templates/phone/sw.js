// Band Coach's service worker: keeps the app shell, and answers saved routines (page, play.json, MP3) from
// Cache Storage when the network is off. <audio> asks for byte ranges, so a saved MP3 is answered with the
// range sliced from the whole cached file (206), or Chromium gives up on it offline.
const VERSION = "{{ version }}";
const SHELL = `bandcoach-shell-${VERSION}`;
const SAVED = "bandcoach-saved"; // written by app.js's "Save for offline"
const SHELL_URLS = {{ shell | safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_URLS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("bandcoach-shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim(); // control the page that registered us, so saving works on the first visit
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/audio/")) event.respondWith(audio(request));
  else if (request.mode === "navigate") event.respondWith(page(request, url));
  else if (url.pathname.endsWith("/play.json") || SHELL_URLS.includes(url.pathname + url.search)) {
    event.respondWith(cachedFirst(request));
  }
});

/** A page: from the network while there is one (the list is kept fresh for offline), else the saved copy. */
async function page(request, url) {
  try {
    const response = await fetch(request);
    if (url.pathname === "/" && response.ok) (await caches.open(SHELL)).put("/", response.clone());
    return response;
  } catch (error) {
    return (await caches.match(request)) || offline();
  }
}

async function cachedFirst(request) {
  return (await caches.match(request)) || fetch(request);
}

/** A saved MP3 from the cache (the Range asked for, sliced), anything else from the network. */
async function audio(request) {
  const saved = await (await caches.open(SAVED)).match(request.url);
  if (!saved) return fetch(request);
  const range = request.headers.get("Range");
  return range ? sliced(saved, range) : saved;
}

async function sliced(response, header) {
  const blob = await response.blob();
  const size = blob.size;
  const found = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const headers = { "Content-Type": "audio/mpeg", "Accept-Ranges": "bytes" };
  if (!found || (found[1] === "" && found[2] === "")) return new Response(blob, { status: 200, headers });
  let start = Number(found[1]);
  let end = found[2] === "" ? size - 1 : Math.min(Number(found[2]), size - 1);
  if (found[1] === "") { start = Math.max(0, size - Number(found[2])); end = size - 1; } // the last N bytes
  if (start >= size || start > end) {
    return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${size}` } });
  }
  return new Response(blob.slice(start, end + 1), {
    status: 206,
    headers: { ...headers, "Content-Length": String(end - start + 1), "Content-Range": `bytes ${start}-${end}/${size}` },
  });
}

function offline() {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline · Band Coach</title>
<link rel="stylesheet" href="${SHELL_URLS.find((u) => u.includes("app.css"))}"></head>
<body><main id="main"><h1>You are offline</h1>
<p class="problem" role="alert">This page is not saved on this phone. Saved routines play without the network.</p>
<p><a class="button" href="/">Saved routines</a></p></main></body></html>`;
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}
