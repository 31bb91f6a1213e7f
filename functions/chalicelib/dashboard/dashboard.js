// The regulator's dashboard: signs in with an API key (sessionStorage, Bearer header,
// never in a URL) and reads the exchange's API. Figures: docs/reports.md.
"use strict";

const KEY = "psx-api-key";
const API = new URL("../", document.baseURI); // <base href="<mount>/v1/dashboard/">
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.type = (problem && problem.type) || "";
  }
}

async function api(path, key = sessionStorage.getItem(KEY)) {
  const response = await fetch(new URL(path, API), {
    headers: { Authorization: `Bearer ${key}`, Accept: "application/json" },
    cache: "no-store",
    referrerPolicy: "no-referrer",
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function cell(value, className) {
  const td = document.createElement("td");
  if (value instanceof Node) td.appendChild(value);
  else td.textContent = value === null || value === undefined ? "n/a" : String(value);
  if (className) td.className = className;
  return td;
}

function table(element, headers, rows) {
  const thead = document.createElement("thead");
  const head = document.createElement("tr");
  for (const header of headers) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = header;
    head.appendChild(th);
  }
  thead.appendChild(head);
  const tbody = document.createElement("tbody");
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const value of row) tr.appendChild(value instanceof HTMLTableCellElement ? value : cell(value));
    tbody.appendChild(tr);
  }
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = cell("none");
    td.colSpan = headers.length;
    tr.appendChild(td);
    tbody.appendChild(tr);
  }
  element.replaceChildren(thead, tbody);
}

// A traffic light: a symbol and a word as well as a colour.
function light(percent) {
  const span = document.createElement("span");
  if (percent === null || percent === undefined) {
    span.className = "light none";
    span.textContent = "– n/a";
  } else {
    const [kind, word] = percent >= 95 ? ["good", "✔ met"] : percent >= 80 ? ["watch", "▲ at risk"] : ["bad", "✖ below"];
    span.className = `light ${kind}`;
    span.textContent = `${percent.toFixed(1)} % ${word}`;
  }
  return cell(span);
}

function escalationLight(count) {
  const span = document.createElement("span");
  span.className = count === 0 ? "light good" : "light bad";
  span.textContent = count === 0 ? "0 ✔ none" : `${count} ✖ open`;
  return cell(span);
}

const num = (value) => cell(value, "num");
const both = (a, b) => (a === null || a === undefined ? null : `${a} / ${b}`);

function showPlatforms(totals) {
  table(
    $("platforms"),
    ["Platform", "Notices sent", "Acknowledged on time", "Action reports on time", "Missed deadlines",
      "Open escalations", "Late answers (max working days late)", "Listings acted on",
      "Removed or disabled within 2 working days", "Working hours to action: median / p90",
      "Sellers / buyers notified", "Excluded by lookback", "Notifications failed",
      "Self-notified sellers / buyers", "Findings: still listed / missed / relisted / found elsewhere",
      "Findings resolved"],
    totals.map(({ platform_id: platform, figures: f }) => [
      platform,
      num(f.notices_sent),
      light(f.acknowledged_on_time_pct),
      light(f.action_reports_on_time_pct),
      num(f.missed_deadlines),
      escalationLight(f.escalations_open),
      num(f.late_answers ? `${f.late_answers} (${f.late_working_days_max})` : 0),
      num(f.listings_acted_on),
      light(f.taken_down_within_2_working_days_pct),
      num(f.action_working_hours_median === null ? null : `${f.action_working_hours_median} / ${f.action_working_hours_p90}`),
      num(both(f.sellers_notified, f.buyers_notified)),
      num(f.excluded_by_lookback),
      num(f.notifications_failed),
      num(both(f.self_notified_sellers, f.self_notified_buyers)),
      num(f.findings_still_listed === null ? null : [f.findings_still_listed, f.findings_missed, f.findings_relisted, f.findings_found_elsewhere].join(" / ")),
      num(f.findings_resolved),
    ]),
  );
}

const BINS = [
  ["acted_in_working_day_1", "1"],
  ["acted_in_working_day_2", "2"],
  ["acted_in_working_day_3", "3"],
  ["acted_in_working_days_4_to_5", "4–5"],
  ["acted_after_working_day_5", "later"],
];

function showDistribution(totals) {
  const groups = totals.map(({ platform_id: name, figures }) => ({ name, bins: BINS.map(([field, label]) => ({ label, value: figures[field] })) }));
  window.psxCharts.barChart($("distribution-chart"), "Listings acted on, by working day of the action, per platform", groups);
  table($("distribution-table"), ["Platform", ...BINS.map(([, label]) => `working day ${label}`)], groups.map((g) => [g.name, ...g.bins.map((b) => num(b.value))]));
}

const GROUPS = { week: ["week", "Week"], month: ["month", "Month"] };

function showTrend(rows, platforms, group) {
  const [unit, heading] = GROUPS[group];
  const grouped = rows.filter((row) => row.regulator_id === "*" && row.bucket !== "*");
  const buckets = [...new Set(grouped.map((row) => row.bucket))].sort();
  const series = platforms.map((name) => ({
    name,
    points: Object.fromEntries(grouped.filter((row) => row.platform_id === name).map((row) => [row.bucket, row.figures.action_reports_on_time_pct])),
  }));
  $("trend-unit").textContent = unit;
  window.psxCharts.lineChart($("trend-chart"), `Share of action reports on time per ${unit}, per platform`, buckets, series);
  table($("trend-table"), [heading, ...platforms], buckets.map((bucket) => [bucket, ...series.map((s) => num(s.points[bucket] === undefined ? null : s.points[bucket]))]));
}

function openButton(noticeId) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link";
  button.textContent = noticeId;
  button.addEventListener("click", () => openNotice(noticeId));
  return cell(button);
}

function showEscalations(escalations) {
  table(
    $("escalations"),
    ["Notice", "Version", "Platform", "Title", "Waiting for", "Deadline was"],
    escalations.map((e) => [openButton(e.notice_id), e.version, e.platform_id, e.title, e.waiting_for.replace("_", " "), e.deadline]),
  );
}

function showNotices(page) {
  table(
    $("notices"),
    ["Notice", "Your reference", "Version", "Status", "Last change"],
    page.items.map((n) => [openButton(n.notice_id), n.source_reference, n.version, n.status, n.updated_at]),
  );
}

async function openNotice(noticeId) {
  const [notice, timeline] = await Promise.all([api(`notices/${encodeURIComponent(noticeId)}`), api(`notices/${encodeURIComponent(noticeId)}/timeline`)]);
  $("notice-title").textContent = `Notice ${notice.notice_id}`;
  const summary = document.createElement("p");
  summary.textContent = `${notice.content.title || notice.content.product.name} (reference ${notice.content.source_reference}, ${notice.content.jurisdiction}), version ${notice.version}, ${notice.status}.`;
  $("notice-summary").replaceChildren(summary);
  table(
    $("notice-dispatches"),
    ["Platform", "Version", "State", "Acknowledgement due", "Acknowledged", "Action report due", "Action reported", "Notification", "Verification"],
    notice.dispatches.map((d) => [d.platform_id, d.version, d.status, d.deadlines.acknowledgement, d.acknowledged_at, d.deadlines.action_report, d.action_reported_at, d.notification, d.verification]),
  );
  table(
    $("notice-timeline"),
    ["At", "Version", "Platform", "What", "By"],
    timeline.events.map((e) => [e.at, e.version, e.platform_id, e.kind.replaceAll("_", " ") + (e.details.late ? ` (late, ${e.details.late_working_days} working days)` : ""), e.actor]),
  );
  $("notice-section").hidden = false;
  $("notice-section").scrollIntoView();
}

function askReport(key) {
  const group = $("group").value;
  return { group, reply: api(`reports/compliance?from=${$("from").value}&to=${$("to").value}&group=${group}`, key) };
}

// The report and the notices are asked for at once: one round trip, not three.
async function showReport({ group, reply }) {
  $("loading").textContent = "Loading…";
  try {
    const report = await reply;
    const totals = report.rows.filter((row) => row.regulator_id === "*" && row.bucket === "*");
    showPlatforms(totals);
    showDistribution(totals);
    showTrend(report.rows, totals.map((row) => row.platform_id), group);
    showEscalations(report.open_escalations);
    $("loading").textContent = `Period ${report.period_start} to ${report.period_end}.`;
  } catch (error) {
    $("loading").textContent = `Could not load: ${error.message}`;
    if (error.status === 401) signOut();
  }
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

async function signIn(key) {
  const error = $("sign-in-error");
  error.hidden = true;
  const report = askReport(key);
  report.reply.catch(() => null); // a refused key is reported once, by the notices
  let notices;
  try {
    notices = await api("notices?limit=100", key); // regulators only: a platform's key gets 403
  } catch (failure) {
    // A platform's key is a valid key for the wrong page; any other refusal is the key.
    error.textContent = failure.type === "urn:psx:problem:wrong-principal"
      ? "This dashboard is for regulators: sign in with a regulator's API key."
      : failure.status === 401 || failure.status === 403
        ? "Sign-in failed: this API key was not accepted."
        : `Sign-in failed: ${failure.message}`;
    error.hidden = false;
    return;
  }
  sessionStorage.setItem(KEY, key);
  $("sign-in-section").hidden = true;
  $("dashboard").hidden = false;
  $("sign-out").hidden = false;
  showNotices(notices);
  await showReport(report);
}

function signOut() {
  sessionStorage.removeItem(KEY);
  $("dashboard").hidden = true;
  $("sign-out").hidden = true;
  $("notice-section").hidden = true;
  $("sign-in-section").hidden = false;
}

document.addEventListener("DOMContentLoaded", () => {
  const today = new Date();
  $("to").value = isoDay(today);
  $("from").value = isoDay(new Date(today.getTime() - 182 * 86400000));
  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("api-key");
    const key = input.value.trim();
    input.value = "";
    signIn(key);
  });
  $("period").addEventListener("submit", (event) => {
    event.preventDefault();
    showReport(askReport());
  });
  $("sign-out").addEventListener("click", signOut);
  const kept = sessionStorage.getItem(KEY);
  if (kept) signIn(kept);
});
