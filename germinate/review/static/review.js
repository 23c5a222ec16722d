// germinate review: the page's behaviour. Plain JavaScript, no libraries, nothing from the network
// but this server. Teacher text is untrusted: it only ever goes into textContent, never HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const FILTERS = ["verdict", "reason", "score", "lo", "hi", "q"];
const state = { offset: 0, total: 0, page: 50, settings: [], runId: "", asked: 0, counted: 0 };

function showError(message) {
  const box = $("error");
  box.hidden = !message;
  box.textContent = message || "";
}

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  showError("");
  return body;
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function chip(text, cls, title) {
  const span = document.createElement("span");
  span.className = `chip ${cls || ""}`;
  span.textContent = text;
  if (title) span.title = title;
  return span;
}

function fmt(value) {
  return Number.isInteger(value) ? String(value) : Number(value).toFixed(3);
}

// The filters live in the address, so a reload (or a shared link) shows the same view.
function readAddress() {
  const params = new URLSearchParams(location.search);
  for (const name of FILTERS) if (params.has(name)) $(name).value = params.get(name);
  state.offset = Number(params.get("offset") || 0);
}

function writeAddress() {
  const params = new URLSearchParams();
  for (const name of FILTERS) if ($(name).value && !(name === "verdict" && $(name).value === "all")) params.set(name, $(name).value);
  if (state.offset) params.set("offset", state.offset);
  history.replaceState(null, "", params.toString() ? `?${params}` : location.pathname);
  return params;
}

function renderCounts(counts) {
  const parts = [`${counts.rows} rows`, `${counts.kept} kept`, `${counts.dropped} dropped`];
  if (counts.overridden) parts.push(`${counts.overridden} decided by you (filters kept ${counts.filters_kept})`);
  $("counts").textContent = parts.join(" · ");
  const reason = $("reason"), chosen = reason.value;
  reason.replaceChildren(new Option("any reason", ""));
  for (const [name, n] of Object.entries(counts.reasons)) reason.add(new Option(`${name} (${n})`, name));
  reason.value = chosen;
  const score = $("score"), picked = score.value;
  score.replaceChildren(new Option("no score range", ""));
  for (const [name, s] of Object.entries(counts.scores)) score.add(new Option(`${name} (${fmt(s.min)}…${fmt(s.max)})`, name));
  score.value = picked;
}

async function loadSummary() {
  const summary = await api("/api/summary");
  state.runId = summary.run_id;
  $("run").textContent = `run ${summary.run_id} (${summary.kind})`;
  $("saved").textContent = `your decisions are saved in ${summary.overrides_file} and honoured by every later curation`;
  const verdict = $("verdict");
  if (!verdict.options.length) for (const v of summary.verdicts) verdict.add(new Option(v, v));
  renderCounts(summary.counts);
  if (!state.settings.length) buildSliders(summary.settings);
  return summary;
}

function renderRow(row) {
  const node = $("row-template").content.firstElementChild.cloneNode(true);
  node.dataset.id = row.id;
  node.classList.add(row.verdict);
  if (row.override) node.classList.add("overridden");
  node.querySelector(".verdict").textContent = row.verdict;
  node.querySelector(".rid").textContent = row.id;
  const reasons = node.querySelector(".reasons");
  for (const r of row.reasons) reasons.append(chip(r, r === "override_drop" ? "person" : "reason"));
  if (row.override && row.override.decision === "keep") {
    reasons.append(chip("override_keep", "person"));
    for (const r of row.filter_reasons) reasons.append(chip(r, "reason overruled", "the filters' reason, overruled"));
  }
  if (row.in_pool !== null) reasons.append(chip(row.in_pool ? "in the pool" : "not in the pool", "pool"));
  const scores = node.querySelector(".scores");
  for (const [name, value] of Object.entries(row.scores)) scores.append(chip(`${name} ${fmt(value)}`, "score", row.score_notes[name]));
  node.querySelector(".instruction").textContent = row.instruction || row.parse_error || "";
  node.querySelector(".input").textContent = row.input;
  node.querySelector(".input-h").hidden = !row.input;
  node.querySelector(".output").textContent = row.output;
  node.querySelector(".raw").textContent = row.raw || "(no raw text: the row was parsed or imported)";
  if (row.neighbour) {
    const nb = row.neighbour;
    const panel = node.querySelector(".neighbour");
    panel.hidden = false;
    if (row.duplicate) {
      node.querySelector(".pair").classList.add("with-neighbour");  // side by side
    } else {  // not a duplicate: the nearest text is there on request
      const box = document.createElement("details");
      box.className = "nb-box";
      const summary = document.createElement("summary");
      summary.textContent = `nearest earlier text (similarity ${fmt(row.similarity)})`;
      box.append(summary, panel);
      node.querySelector(".pair").after(box);
    }
    const sim = row.similarity === null ? "" : `similarity ${fmt(row.similarity)} · `;
    node.querySelector(".nb-where").textContent = `(${sim}${nb.id}, ${nb.where})`;
    node.querySelector(".nb-instruction").textContent = nb.instruction;
    node.querySelector(".nb-input").textContent = nb.input;
    node.querySelector(".nb-input-h").hidden = !nb.input;
    node.querySelector(".nb-output").textContent = nb.output;
    node.querySelector(".nb-output-h").hidden = !nb.output;
  }
  const note = node.querySelector(".note");
  const decided = node.querySelector(".decided");
  if (row.override) {
    note.value = row.override.note;
    decided.textContent = `you: ${row.override.decision} (${row.override.time})`;
  }
  node.querySelector(".clear").hidden = !row.override;
  for (const decision of ["keep", "drop", "clear"]) {
    node.querySelector(`.${decision}`).addEventListener("click", () => decide(row.id, decision, note.value, node));
  }
  return node;
}

async function decide(id, decision, note, node) {
  try {
    const result = await api("/api/override", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ id, decision, note }),
    });
    node.replaceWith(renderRow(result.row));
    await loadSummary();
    refreshWhatif();
  } catch (err) { showError(err.message); }
}

async function loadRows() {
  const params = writeAddress();
  const asked = ++state.asked;  // answers can arrive out of order: only the latest is shown
  try {
    const result = await api(`/api/rows?${params}`);
    if (asked !== state.asked) return;
    state.total = result.total;
    state.page = result.page;
    $("rows").replaceChildren(...result.rows.map(renderRow));
    const last = Math.min(state.offset + state.page, state.total);
    $("total").textContent = state.total ? `rows ${state.offset + 1}–${last} of ${state.total}` : "no rows match";
    $("prev").disabled = state.offset === 0;
    $("next").disabled = last >= state.total;
  } catch (err) { showError(err.message); }
}

function buildSliders(settings) {
  state.settings = settings;
  const box = $("sliders");
  for (const s of settings) {
    const wrap = document.createElement("div");
    wrap.className = "slider";
    const label = document.createElement("label");
    const name = document.createElement("span");
    name.textContent = s.key;
    const shown = document.createElement("span");
    shown.className = "value";
    shown.textContent = fmt(s.value);
    label.append(name, shown);
    const input = document.createElement("input");
    Object.assign(input, { type: "range", min: s.min, max: s.max, step: s.step, value: s.value });
    input.dataset.key = s.key;
    input.dataset.original = s.value;
    input.setAttribute("aria-label", s.key);
    input.addEventListener("input", () => {
      shown.textContent = fmt(Number(input.value));
      shown.classList.toggle("changed", Number(input.value) !== Number(s.value));
      refreshWhatif();
    });
    wrap.append(label, input);
    box.append(wrap);
  }
  if (!settings.length) box.textContent = "This run has no stored candidates to re-filter.";
}

const refreshWhatif = debounce(async () => {
  const params = new URLSearchParams();
  for (const input of document.querySelectorAll("#sliders input")) {
    if (Number(input.value) !== Number(input.dataset.original)) params.append("set", `${input.dataset.key}=${input.value}`);
  }
  if (!params.toString()) {
    $("whatif").textContent = "";
    $("command").textContent = "";
    return;
  }
  $("whatif").textContent = "counting…";
  const asked = ++state.counted;
  try {
    const result = await api(`/api/whatif?${params}`);
    if (asked !== state.counted) return;
    const reasons = Object.entries(result.reasons).map(([r, n]) => `${r} ${n}`).join(", ");
    $("whatif").textContent = `would keep ${result.kept} of ${result.rows}` + (reasons ? ` (drops: ${reasons})` : "");
    $("whatif").dataset.kept = result.kept;
    $("whatif").dataset.answers = Number($("whatif").dataset.answers || 0) + 1;
    $("command").textContent = result.command;
  } catch (err) { showError(err.message); $("whatif").textContent = ""; }
}, 200);

function wire() {
  const reload = () => { state.offset = 0; loadRows(); };
  for (const name of ["verdict", "reason", "score"]) $(name).addEventListener("change", reload);
  for (const name of ["lo", "hi"]) $(name).addEventListener("input", debounce(reload, 300));
  $("q").addEventListener("input", debounce(reload, 250));
  $("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - state.page); loadRows(); });
  $("next").addEventListener("click", () => { state.offset += state.page; loadRows(); });
}

(async function main() {
  try {
    await loadSummary();
    readAddress();
    wire();
    await loadRows();
    document.body.dataset.ready = "1";
  } catch (err) { showError(err.message); }
})();
