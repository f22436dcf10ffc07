"use strict";
// The trigger console: every page is built from the REST API (/api), with the token its user signs in with, kept for
// this browser tab only. Pages are hash routes, so the server serves one file and needs no session of its own.

const session = {
  get token() { return sessionStorage.getItem("triggers-token"); },
  set token(value) { value ? sessionStorage.setItem("triggers-token", value) : sessionStorage.removeItem("triggers-token"); },
  get workspace() { return localStorage.getItem("triggers-workspace"); },
  set workspace(value) { localStorage.setItem("triggers-workspace", value); },
};

let refreshTimer = null;
const REFRESH_MS = 2000;

class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.field = problem.field || null;
  }
}

class SignInNeeded extends Error {}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) throw new SignInNeeded();
  const text = await response.text();
  const json = text && (response.headers.get("content-type") || "").includes("json") ? JSON.parse(text) : text;
  if (!response.ok) throw new ApiProblem(response.status, typeof json === "object" ? json : { detail: text });
  return json;
}

const ws = () => `/w/${encodeURIComponent(session.workspace)}`;
// An item's path (or a job's id) as it goes into an API route: each segment encoded, so a path taken from the page's
// address cannot climb out of its route ("..") or carry a query, and the token goes only where the console means.
function item(path) {
  const segments = String(path).split("/");
  if (segments.some(s => s === "" || s === "." || s === "..")) throw new Error(`'${path}' is not an item path`);
  return segments.map(encodeURIComponent).join("/");
}

// Builds DOM from data without ever parsing it as HTML: h("td", {class: "x"}, "text", child).
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const link = (href, text) => h("a", { href }, text);
const stateBadge = (state) => h("span", { class: `state ${state}` }, state);
const json = (value) => h("pre", {}, value === undefined || value === null ? "—" : JSON.stringify(value, null, 2));
const when = (value) => (value ? new Date(value).toLocaleString() : "—");
const totalLag = (trigger) => (trigger.status?.partitions || []).reduce((sum, p) => sum + (p.lag ?? 0), 0);

function show(...content) {
  const main = document.getElementById("main");
  main.replaceChildren(h("div", { id: "banner" }), ...content.flat(Infinity).filter((c) => c !== null && c !== undefined));
}

function banner(kind, text) {
  const element = document.getElementById("banner");
  if (!element) return;
  element.className = kind;
  element.textContent = text;
}

// ---- pages -----------------------------------------------------------------------------------------------------

async function triggersPage() {
  const triggers = await api("GET", `${ws()}/kafka_triggers/list?per_page=1000`);
  const rows = triggers.map((t) =>
    h("tr", { "data-trigger": t.path },
      h("td", {}, link(`#/t/${t.path}`, t.path)),
      h("td", {}, stateBadge(t.status?.state || "stopped"), t.error ? h("div", { class: "error-text" }, t.error) : null),
      h("td", {}, t.mode),
      h("td", {}, t.server_id || "—"),
      h("td", {}, (t.status?.partitions || []).map((p) => `${p.topic}[${p.partition}]`).join(", ") || "—"),
      h("td", { class: "lag" }, totalLag(t)),
      h("td", {}, t.status?.messages_received ?? 0),
      h("td", {}, t.status?.jobs_created ?? 0),
      h("td", {}, t.is_flow ? "flow " : "", t.script_path)));
  show(
    h("h1", {}, `Kafka triggers in ${session.workspace}`),
    triggers.length === 0
      ? h("p", {}, "No triggers yet. ", link("#/new", "Create one"), ".")
      : h("table", { id: "triggers" },
          h("tr", {}, ["trigger", "state", "mode", "server", "partitions", "lag", "received", "jobs", "runs"].map((c) => h("th", {}, c))),
          rows));
}

const lagSamples = new Map(); // trigger path → [{at, lag}], while its page is open

function lagChart(path, lag) {
  const samples = lagSamples.get(path) || [];
  samples.push({ at: Date.now(), lag });
  while (samples.length > 90) samples.shift();
  lagSamples.set(path, samples);
  const width = 600, height = 120, max = Math.max(1, ...samples.map((s) => s.lag));
  const points = samples.map((s, i) => `${(i / Math.max(1, samples.length - 1)) * width},${height - (s.lag / max) * (height - 10)}`).join(" ");
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "lag");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.innerHTML = `<polyline fill="none" stroke="#2f6fde" stroke-width="2" points="${points}"/>` +
    `<text x="4" y="14" font-size="11">max ${max} · now ${lag}</text>`;
  return svg;
}

async function triggerPage(path) {
  const [t, jobs] = await Promise.all([
    api("GET", `${ws()}/kafka_triggers/get/${item(path)}`),
    api("GET", `${ws()}/jobs/list?trigger_path=${encodeURIComponent(path)}&per_page=20`),
  ]);
  const { status, server_id, last_server_ping, error, edited_at, edited_by, ...config } = t;
  const action = (label, run) => h("button", { type: "button", "data-action": label, onclick: () => act(run) }, label);
  show(
    h("h1", {}, `Trigger ${path} `, stateBadge(status?.state || "stopped")),
    error ? h("p", { class: "error-text" }, error) : null,
    h("div", { class: "actions" },
      action("Enable", () => api("POST", `${ws()}/kafka_triggers/setmode/${item(path)}`, { mode: "enabled" })),
      action("Disable", () => api("POST", `${ws()}/kafka_triggers/setmode/${item(path)}`, { mode: "disabled" })),
      action("Suspend", () => api("POST", `${ws()}/kafka_triggers/setmode/${item(path)}`, { mode: "suspended" })),
      action("Reset offsets", () => confirm("Read the topics again from the earliest offset?") && api("POST", `${ws()}/kafka_triggers/reset_offsets/${item(path)}`)),
      link(`#/edit/${path}`, "Edit")),
    h("h2", {}, "Status"),
    h("table", {},
      h("tr", {}, h("th", {}, "server"), h("td", {}, server_id || "—"), h("th", {}, "last ping"), h("td", {}, when(last_server_ping))),
      h("tr", {}, h("th", {}, "received"), h("td", {}, status?.messages_received ?? 0), h("th", {}, "jobs created"), h("td", {}, status?.jobs_created ?? 0)),
      h("tr", {}, h("th", {}, "filtered"), h("td", {}, status?.messages_filtered ?? 0), h("th", {}, "duplicates skipped"), h("td", {}, status?.duplicates_skipped ?? 0))),
    h("h2", {}, "Partitions"),
    h("table", { id: "partitions" },
      h("tr", {}, ["topic", "partition", "committed offset", "lag"].map((c) => h("th", {}, c))),
      (status?.partitions || []).map((p) => h("tr", {}, h("td", {}, p.topic), h("td", {}, p.partition), h("td", {}, p.committed_offset ?? "—"), h("td", {}, p.lag ?? "—")))),
    h("h2", {}, "Lag (total, sampled every 2 s while this page is open)"),
    lagChart(path, totalLag(t)),
    h("h2", {}, "Recent jobs"),
    jobsTable(jobs),
    h("h2", {}, "Configuration"),
    json(config),
    h("p", {}, `Edited ${when(edited_at)}${edited_by ? ` by ${edited_by}` : ""}.`));
}

function jobsTable(jobs) {
  if (jobs.length === 0) return h("p", { id: "no-jobs" }, "No jobs yet.");
  return h("table", { id: "jobs" },
    h("tr", {}, ["job", "status", "created", "duration", "attempts"].map((c) => h("th", {}, c))),
    jobs.map((j) => h("tr", { "data-job": j.id },
      h("td", {}, link(`#/j/${j.id}`, j.id)),
      h("td", {}, stateBadge(j.status)),
      h("td", {}, when(j.created_at)),
      h("td", {}, j.duration_ms != null ? `${j.duration_ms} ms` : "—"),
      h("td", {}, j.attempts))));
}

async function jobPage(id) {
  const j = await api("GET", `${ws()}/jobs_u/get/${item(id)}`);
  const related = [
    ["trigger", j.trigger_path && `#/t/${j.trigger_path}`, j.trigger_path],
    ["error handler job", j.error_handler_job_id && `#/j/${j.error_handler_job_id}`, j.error_handler_job_id],
    ["failed job it handles", j.failed_job_id && `#/j/${j.failed_job_id}`, j.failed_job_id],
    ["flow job", j.flow_job_id && `#/j/${j.flow_job_id}`, j.flow_job_id],
  ].filter(([, href]) => href);
  const rerunnable = j.status === "failure" && j.trigger_path && !j.flow_job_id;
  show(
    h("h1", {}, `Job ${id} `, stateBadge(j.status)),
    h("table", {},
      h("tr", {}, h("th", {}, j.is_flow ? "flow" : "script"), h("td", {}, j.script_path), h("th", {}, "kind"), h("td", {}, j.job_kind || "script")),
      h("tr", {}, h("th", {}, "created"), h("td", {}, when(j.created_at)), h("th", {}, "started"), h("td", {}, when(j.started_at))),
      h("tr", {}, h("th", {}, "completed"), h("td", {}, when(j.completed_at)), h("th", {}, "duration"), h("td", {}, j.duration_ms != null ? `${j.duration_ms} ms` : "—")),
      h("tr", {}, h("th", {}, "attempts"), h("td", {}, j.attempts), h("th", {}, "script version"), h("td", {}, j.script_hash || "—")),
      related.map(([label, href, text]) => h("tr", {}, h("th", {}, label), h("td", { colspan: 3 }, link(href, text))))),
    rerunnable
      ? h("div", { class: "actions" }, h("button", { type: "button", "data-action": "Rerun", onclick: () => act(() => api("POST", `${ws()}/kafka_triggers/redrive/${item(j.trigger_path)}`, { job_ids: [id] })) }, "Rerun"))
      : null,
    h("h2", {}, "Arguments"), json(j.args),
    h("h2", {}, "Result"), json(j.result),
    j.error ? [h("h2", {}, "Error"), json(j.error)] : null,
    h("h2", {}, "Logs"), h("pre", { id: "logs" }, j.logs || "(no output)"),
    h("h2", {}, "Attempts"),
    h("table", {},
      h("tr", {}, ["attempt", "started", "completed", "outcome"].map((c) => h("th", {}, c))),
      (j.attempt_history || []).map((a) => h("tr", {}, h("td", {}, a.attempt), h("td", {}, when(a.started_at)), h("td", {}, when(a.completed_at)),
        h("td", {}, a.succeeded ? "succeeded" : (a.error?.message || "failed"))))));
}

// The form's fields; an edit starts from the stored trigger, so settings the form does not show are kept.
const FIELDS = [
  { name: "path", label: "Path", hint: "e.g. u/admin/orders_trigger" },
  { name: "script_path", label: "Script or flow", hint: "the path of the runnable each message runs" },
  { name: "is_flow", label: "It is a flow", type: "checkbox" },
  { name: "kafka_resource_path", label: "Kafka resource" },
  { name: "topics", label: "Topics", hint: "comma-separated; a name starting with ^ is a pattern", list: true },
  { name: "group_id", label: "Consumer group", hint: "empty: one of the trigger's own" },
  { name: "auto_offset_reset", label: "A new group starts at", options: ["latest", "earliest"] },
  { name: "batch_size", label: "Messages per job", type: "number" },
  { name: "batch_window_ms", label: "Batch window (ms)", type: "number" },
  { name: "ordering", label: "Ordering", options: ["none", "partition", "key"] },
];

async function formPage(path) {
  const existing = path ? await api("GET", `${ws()}/kafka_triggers/get/${item(path)}`) : {};
  const form = h("form", { class: "trigger", id: "trigger-form" },
    FIELDS.map((f) => {
      const value = existing[f.name];
      const input = f.options
        ? h("select", { name: f.name }, f.options.map((o) => h("option", { value: o, selected: value === o }, o)))
        : h("input", {
            name: f.name,
            type: f.type || "text",
            value: f.list ? (value || []).join(", ") : f.type === "checkbox" ? undefined : value ?? "",
            checked: f.type === "checkbox" && value === true,
          });
      return [h("label", { for: f.name }, f.label), input, f.hint ? h("div", { class: "hint" }, f.hint) : null,
        h("div", { class: "field-error", "data-error-for": f.name })];
    }),
    h("div", {}), h("div", {}, h("button", { type: "submit" }, path ? "Save" : "Create")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { ...existing };
    for (const key of ["status", "server_id", "last_server_ping", "error", "edited_at", "edited_by"]) delete body[key];
    for (const f of FIELDS) {
      const input = form.elements[f.name];
      if (f.type === "checkbox") body[f.name] = input.checked;
      else if (f.list) body[f.name] = input.value.split(",").map((s) => s.trim()).filter(Boolean);
      else if (f.type === "number") { if (input.value !== "") body[f.name] = Number(input.value); }
      else if (input.value !== "") body[f.name] = input.value;
      else delete body[f.name];
    }
    form.querySelectorAll(".field-error").forEach((e) => (e.textContent = ""));
    try {
      await api("POST", path ? `${ws()}/kafka_triggers/update/${item(path)}` : `${ws()}/kafka_triggers/create`, body);
      location.hash = `#/t/${body.path}`;
    } catch (e) {
      if (!(e instanceof ApiProblem)) throw e;
      const target = e.field && form.querySelector(`[data-error-for="${e.field.split(/[.[]/)[0]}"]`);
      if (target) target.textContent = e.message;
      else banner("problem", e.message);
    }
  });
  show(h("h1", {}, path ? `Edit trigger ${path}` : "New Kafka trigger"), form);
}

function signInPage(message) {
  const form = h("form", { class: "login", id: "sign-in" },
    h("p", {}, message || "Sign in with an API token (the admin token run.sh printed is in .data/admin-token)."),
    h("input", { name: "token", type: "password", size: 40, autocomplete: "off" }), " ",
    h("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    session.token = form.elements.token.value.trim();
    start();
  });
  document.getElementById("main").replaceChildren(form);
}

// ---- wiring ----------------------------------------------------------------------------------------------------

async function act(run) {
  try {
    if ((await run()) === false) return;
    banner("notice", "Done.");
    await route(false);
  } catch (e) {
    handle(e);
  }
}

function handle(e) {
  if (e instanceof SignInNeeded) { session.token = null; signInPage("That token was refused; sign in again."); }
  else if (e instanceof ApiProblem) banner("problem", e.message);
  else { console.error(e); banner("problem", String(e)); }
}

async function route(fresh = true) {
  clearInterval(refreshTimer);
  const hash = location.hash.replace(/^#/, "") || "/";
  const [, page, rest] = hash.match(/^\/([a-z]*)\/?(.*)$/) || [];
  const render = {
    "": triggersPage,
    t: () => triggerPage(rest),
    j: () => jobPage(rest),
    new: () => formPage(null),
    edit: () => formPage(rest),
  }[page];
  if (!render) { show(h("p", {}, "No such page. "), link("#/", "Triggers")); return; }
  try {
    await render();
    // Lists and a trigger's page refresh themselves; forms and jobs stay as they are while someone reads them.
    if (page === "" || page === "t") refreshTimer = setInterval(() => render().catch(handle), REFRESH_MS);
  } catch (e) {
    handle(e);
  }
}

async function start() {
  if (!session.token) { signInPage(); return; }
  try {
    const workspaces = await api("GET", "/workspaces/list");
    const select = document.getElementById("workspace");
    if (!workspaces.some((w) => w.id === session.workspace)) session.workspace = workspaces[0]?.id || "";
    select.replaceChildren(...workspaces.map((w) => h("option", { value: w.id, selected: w.id === session.workspace }, w.id)));
    select.onchange = () => { session.workspace = select.value; route(); };
    if (workspaces.length === 0) { show(h("p", {}, "No workspaces yet: create one with POST /api/workspaces/create.")); return; }
    await route();
  } catch (e) {
    handle(e);
  }
}

document.getElementById("sign-out").addEventListener("click", () => { session.token = null; clearInterval(refreshTimer); signInPage(); });
window.addEventListener("hashchange", () => route());
start();
