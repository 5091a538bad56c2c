// irisgate dashboard: confirmations for destructive forms, and the Playground's calls to /v1.
// Plain browser JavaScript, no framework; the pages work without it (except the Playground).
"use strict";

// Forms with data-confirm ask first. Capture phase: runs before htmx's own submit handler.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopPropagation();
  }
}, true);

// -- Playground -------------------------------------------------------------------------------

const POLL_MS = 1000;

function part(form, role) {
  return form.querySelector(`[data-role="${role}"]`);
}

function showError(form, message) {
  const box = part(form, "error");
  box.textContent = message;
  box.hidden = !message;
}

function busy(form, text) {
  part(form, "status").textContent = text || "";
  form.querySelector("button[type=submit]").disabled = Boolean(text);
}

// The API's error message ({"error": {"message"}}), or a description of what went wrong.
async function apiError(response) {
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) {
      return `${body.error.message} (HTTP ${response.status}${body.error.code ? ", " + body.error.code : ""})`;
    }
  } catch (_) { /* not JSON */ }
  return `HTTP ${response.status} ${response.statusText}`;
}

// The session's CSRF token (the same header htmx sends): /v1 accepts the dashboard's session in
// place of an API key once virtual keys exist, and then wants the token on every POST.
function csrfHeaders() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  } catch (_) {
    return {};
  }
}

async function callApi(url, options) {
  const headers = { ...csrfHeaders(), ...((options && options.headers) || {}) };
  const response = await fetch(url, { credentials: "same-origin", ...options, headers });
  if (!response.ok) throw new Error(await apiError(response));
  return response.json();
}

function showImages(form, body, format) {
  const results = part(form, "results");
  results.replaceChildren();
  for (const item of body.data || []) {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.alt = item.revised_prompt || "generated image";
    img.src = item.url || `data:image/${format === "jpg" ? "jpeg" : format};base64,${item.b64_json}`;
    const caption = document.createElement("figcaption");
    const link = document.createElement("a");
    link.href = img.src;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = item.url ? "open" : "data URI";
    caption.append(link);
    figure.append(img, caption);
    results.append(figure);
  }
}

function fields(form) {
  const data = Object.fromEntries(new FormData(form).entries());
  for (const [name, value] of Object.entries(data)) {
    if (typeof value === "string" && value.trim() === "") delete data[name];
  }
  return data;
}

async function generateImages(form) {
  const data = fields(form);
  const body = { model: data.model, prompt: data.prompt, size: data.size, output_format: data.output_format };
  if (data.n) body.n = Number(data.n);
  const answer = await callApi("/v1/images/generations", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  showImages(form, answer, data.output_format || "png");
}

async function editImage(form) {
  const upload = new FormData();
  for (const [name, value] of new FormData(form).entries()) {
    if (value instanceof File ? value.size > 0 : String(value).trim() !== "") upload.append(name, value);
  }
  if (!upload.has("image")) throw new Error("Choose an image to edit.");
  const answer = await callApi("/v1/images/edits", { method: "POST", body: upload });
  showImages(form, answer, upload.get("output_format") || "png");
}

function showJob(form, video) {
  const job = part(form, "job");
  job.hidden = false;
  const badge = part(form, "badge");
  badge.textContent = video.status.replace("_", " ");
  badge.className = `badge status-${video.status}`;
  part(form, "progress").value = video.progress || 0;
  part(form, "progress").className = `progress status-${video.status}`;
  part(form, "percent").textContent = `${video.progress || 0}%`;
  part(form, "link").href = `/videos/${encodeURIComponent(video.id)}`;
  job.dataset.status = video.status;
}

async function generateVideo(form) {
  const data = fields(form);
  const body = { model: data.model, prompt: data.prompt, size: data.size };
  if (data.seconds) body.seconds = String(data.seconds);
  part(form, "player").replaceChildren();
  let video = await callApi("/v1/videos", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  showJob(form, video);
  while (video.status === "queued" || video.status === "in_progress") {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    video = await callApi(`/v1/videos/${encodeURIComponent(video.id)}`);
    showJob(form, video);
  }
  if (video.status === "failed") {
    throw new Error(`The video failed: ${(video.error && video.error.message) || "no reason given"}`);
  }
  const player = document.createElement("video");
  player.id = "playground-video";
  player.controls = true;
  player.preload = "auto";
  player.src = `/v1/videos/${encodeURIComponent(video.id)}/content`;
  part(form, "player").append(player);
}

const ACTIONS = {
  image: [generateImages, "Generating…"],
  edit: [editImage, "Editing…"],
  video: [generateVideo, "Working…"],
};

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-playground]");
  if (!form) return;
  event.preventDefault();
  const [action, label] = ACTIONS[form.dataset.playground];
  showError(form, "");
  busy(form, label);
  try {
    await action(form);
  } catch (error) {
    showError(form, error.message || String(error));
  } finally {
    busy(form, "");
  }
});
