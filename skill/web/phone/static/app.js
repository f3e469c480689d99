// Band Coach on a phone: the player (chapters, countdown, Media Session, Wake Lock), saving a routine for
// offline play (Cache Storage, answered by /sw.js), and the saved list with the storage used.
// No framework: the server renders every page, which reads and submits without this script; it adds behaviour.
"use strict";

const SAVED = "bandcoach-saved"; // each saved routine's page, play.json and MP3; sw.js answers from it
const canSave = "serviceWorker" in navigator && "caches" in window && window.isSecureContext;
const PREVIOUS_RESTARTS = 3; // seconds into an exercise after which "previous" restarts it instead

const $ = (selector, root = document) => root.querySelector(selector);

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

if (canSave) {
  navigator.serviceWorker.register("/sw.js").catch((error) => console.warn("service worker not registered:", error));
}

function showNetwork() {
  const badge = $("#network");
  if (badge) badge.textContent = navigator.onLine ? "" : "Offline";
}

/** The routine page's player: one MP3 of the whole routine, its chapters, and the controls around it. */
class Player {
  constructor(root) {
    this.root = root;
    this.audio = $("#audio", root);
    this.status = $("#status", root);
    this.items = [...document.querySelectorAll("#chapters > li")];
    this.chapters = this.items.map((item) => {
      const button = $(".chapter", item);
      const start = Number(button.dataset.start);
      return { title: $(".title", button).textContent, start, end: start + Number(button.dataset.seconds) };
    });
    this.current = -1;
    this.data = null;
    this.wakeLock = null;
  }

  async prepare() {
    if (location.pathname + location.search !== this.root.dataset.page) {
      history.replaceState(null, "", this.root.dataset.page); // one address per choice: the one saved offline
    }
    this.wire();
    try {
      const response = await fetch(this.root.dataset.play);
      const data = await response.json().catch(() => ({ error: `the server answered ${response.status}` }));
      if (!response.ok) throw new Error(data.error || `the server answered ${response.status}`);
      this.ready(data);
    } catch (error) {
      this.say(navigator.onLine ? `No audio: ${error.message}` : "You are offline, and this routine is not saved on this phone.", true);
    }
  }

  ready(data) {
    this.data = data;
    // The audio's own chapter times (whole frames) replace the timeline's, printed on the page, for seeking.
    this.chapters = data.chapters.map((c) => ({ title: c.title, start: c.start, end: c.end }));
    this.audio.src = data.audio;
    this.audio.preload = "metadata";
    for (const id of ["#play", "#previous", "#next"]) $(id, this.root).disabled = false;
    $("#total", this.root).textContent = clock(data.seconds);
    this.say(`Ready: ${clock(data.seconds)} of audio.`);
    this.mediaSession();
    if (canSave) this.showSaved();
    else $("#insecure", this.root).hidden = false;
  }

  wire() {
    $("#play", this.root).addEventListener("click", () => (this.audio.paused ? this.play() : this.audio.pause()));
    $("#previous", this.root).addEventListener("click", () => this.previous());
    $("#next", this.root).addEventListener("click", () => this.next());
    $("#save", this.root).addEventListener("click", () => this.toggleSaved());
    this.items.forEach((item, i) => $(".chapter", item).addEventListener("click", () => this.seek(i)));
    this.audio.addEventListener("timeupdate", () => this.tick());
    this.audio.addEventListener("seeked", () => this.tick());
    this.audio.addEventListener("play", () => this.playing(true));
    this.audio.addEventListener("pause", () => this.playing(false));
    this.audio.addEventListener("ended", () => this.say("Workout complete. Well done!"));
    this.audio.addEventListener("error", () => this.say("The audio could not be loaded: check the connection, or save the routine for offline use.", true));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && !this.audio.paused) this.keepAwake();
    });
  }

  say(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle("error", isError);
  }

  play() {
    return this.audio.play().catch((error) => this.say(`Could not play: ${error.message}`, true));
  }

  seek(index) {
    if (!this.data || !this.chapters[index]) return;
    this.audio.currentTime = this.chapters[index].start;
    if (this.audio.paused) this.play();
    this.tick();
  }

  previous() {
    const at = Math.max(0, this.current);
    const into = this.audio.currentTime - this.chapters[at].start;
    this.seek(into > PREVIOUS_RESTARTS || at === 0 ? at : at - 1);
  }

  next() {
    if (this.current + 1 < this.chapters.length) this.seek(this.current + 1);
  }

  chapterAt(seconds) {
    let found = 0;
    this.chapters.forEach((c, i) => { if (c.start <= seconds + 0.05) found = i; });
    return found;
  }

  tick() {
    const now = this.audio.currentTime;
    const index = this.chapterAt(now);
    const chapter = this.chapters[index];
    if (index !== this.current) {
      this.items.forEach((item, i) => {
        if (i === index) item.setAttribute("aria-current", "true");
        else item.removeAttribute("aria-current");
      });
      $("#now", this.root).textContent = chapter.title;
      this.current = index;
      this.metadata();
    }
    $("#countdown", this.root).textContent = clock(chapter.end - now);
    $("#elapsed", this.root).textContent = clock(now);
    if ("mediaSession" in navigator && Number.isFinite(this.audio.duration)) {
      try {
        navigator.mediaSession.setPositionState({ duration: this.audio.duration, position: Math.min(now, this.audio.duration), playbackRate: this.audio.playbackRate });
      } catch (error) { /* an older browser without position state */ }
    }
  }

  playing(isPlaying) {
    const button = $("#play", this.root);
    $(".when-playing", button).hidden = !isPlaying;
    $(".when-paused", button).hidden = isPlaying;
    button.setAttribute("aria-label", isPlaying ? "Pause" : "Play");
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = isPlaying ? "playing" : "paused";
    if (isPlaying) this.keepAwake();
    else this.letSleep();
  }

  async keepAwake() {
    if (!("wakeLock" in navigator) || this.wakeLock) return;
    try {
      this.wakeLock = await navigator.wakeLock.request("screen");
      this.wakeLock.addEventListener("release", () => { this.wakeLock = null; });
    } catch (error) { /* not allowed now (battery saver, hidden page): the screen may sleep */ }
  }

  letSleep() {
    if (this.wakeLock) this.wakeLock.release().catch(() => {});
    this.wakeLock = null;
  }

  mediaSession() {
    if (!("mediaSession" in navigator)) return;
    const actions = {
      play: () => this.play(),
      pause: () => this.audio.pause(),
      previoustrack: () => this.previous(),
      nexttrack: () => this.next(),
      seekbackward: (d) => { this.audio.currentTime = Math.max(0, this.audio.currentTime - (d.seekOffset || 10)); },
      seekforward: (d) => { this.audio.currentTime += d.seekOffset || 10; },
      seekto: (d) => { this.audio.currentTime = d.seekTime; },
    };
    for (const [action, handler] of Object.entries(actions)) {
      try { navigator.mediaSession.setActionHandler(action, handler); } catch (error) { /* unsupported action */ }
    }
    this.metadata();
  }

  metadata() {
    if (!("mediaSession" in navigator) || !this.data || typeof MediaMetadata === "undefined") return;
    const chapter = this.chapters[Math.max(0, this.current)];
    navigator.mediaSession.metadata = new MediaMetadata({
      title: chapter.title, artist: "Band Coach", album: this.data.title,
      artwork: [{ src: "/icons/192.png", sizes: "192x192", type: "image/png" }, { src: "/icons/512.png", sizes: "512x512", type: "image/png" }],
    });
  }

  async showSaved() {
    const button = $("#save", this.root);
    const cache = await caches.open(SAVED);
    const saved = Boolean(await cache.match(this.root.dataset.play));
    button.hidden = false;
    button.disabled = false;
    button.textContent = saved ? "Remove from this phone" : "Save for offline";
    button.dataset.saved = String(saved);
  }

  async toggleSaved() {
    const button = $("#save", this.root);
    button.disabled = true;
    try {
      if (button.dataset.saved === "true") {
        await forget(this.root.dataset.play);
        this.say("Removed from this phone.");
      } else {
        this.say("Saving for offline…");
        const cache = await caches.open(SAVED);
        await cache.addAll([this.data.audio, this.root.dataset.page, this.root.dataset.play]); // play.json last: it marks a whole save
        if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
        this.say("Saved: this routine plays with the network off.");
      }
    } catch (error) {
      this.say(`Could not save: ${error.message}`, true);
    }
    await this.showSaved();
  }
}

/** Every saved routine: the play.json entries of the saved cache, each naming its page and MP3. */
async function savedRoutines() {
  const cache = await caches.open(SAVED);
  const found = [];
  for (const request of await cache.keys()) {
    if (!new URL(request.url).pathname.endsWith("/play.json")) continue;
    const data = await (await cache.match(request)).json();
    const audio = await cache.match(data.audio);
    const size = audio ? Number(audio.headers.get("Content-Length")) || (await audio.blob()).size : 0;
    found.push({ play: request.url, data, size });
  }
  return found;
}

/** Remove one saved routine: its play.json, its page, and its MP3 unless another saved choice shares it. */
async function forget(playUrl) {
  const cache = await caches.open(SAVED);
  const response = await cache.match(playUrl);
  if (!response) return;
  const data = await response.json();
  await cache.delete(playUrl);
  await cache.delete(data.page);
  const others = await savedRoutines();
  if (!others.some((other) => other.data.audio === data.audio)) await cache.delete(data.audio);
}

async function listSaved(section) {
  if (!canSave) return;
  section.hidden = false;
  const list = $("#saved-list", section);
  const routines = await savedRoutines();
  list.replaceChildren(...routines.map(({ play, data, size }) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = data.page;
    link.textContent = `${data.title} (${data.band} band, ${/^\d+$/.test(data.length) ? `${data.length} min` : data.length}, ${data.locale})`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${link.textContent} from this phone`);
    remove.addEventListener("click", async () => { await forget(play); await listSaved(section); });
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = ` ${clock(data.seconds)}, ${megabytes(size)}`;
    const label = document.createElement("span");
    label.append(link, meta);
    item.append(label, remove);
    return item;
  }));
  $("#saved-empty", section).hidden = routines.length > 0;
  if (navigator.storage && navigator.storage.estimate) {
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    $("#storage", section).textContent = `Storage used on this phone: ${megabytes(usage)} of ${megabytes(quota)}.`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  showNetwork();
  addEventListener("online", showNetwork);
  addEventListener("offline", showNetwork);
  const player = $("#player");
  if (player) new Player(player).prepare();
  const saved = $("#saved");
  if (saved) listSaved(saved);
});
