// The Reports page: the figures of /desk/api/reports for a period and filters, as tiles, Chart.js charts and tables.
// Every rate shows its count and denominator; docs/analytics.md defines each one.
const FILTERS = ["from", "to", "channel", "intent", "queue"];
const charts = {};
const pct = (f) => f && f.rate !== null && f.rate !== undefined ? `${(100 * f.rate).toFixed(1)} %` : "n/a";
const of = (f) => f ? `${f.count} of ${f.denominator}` : "";
const dur = (s) => s === null || s === undefined ? "n/a" : s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
function tile(name, value, detail) {
  return `<div class="tile"><div class="name">${esc(name)}</div><div class="value">${esc(value)}</div>
    <div class="of">${esc(detail || "")}</div></div>`;
}

function draw(id, type, labels, datasets, options = {}) {
  if (charts[id]) charts[id].destroy();
  charts[id] = new Chart($(id), {
    type, data: { labels, datasets },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { display: datasets.length > 1 } }, ...options },
  });
}
const percentAxis = { y: { min: 0, max: 100, ticks: { callback: (v) => `${v} %` } } };
const asPercent = (items) => items.map(i => i.rate === null ? 0 : Math.round(1000 * i.rate) / 10);

function table(headers, rows) {
  if (!rows.length) return `<p class="muted">None in this period.</p>`;
  return `<table><thead><tr>${headers.map(h => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>` +
    rows.map(r => `<tr>${r.map(c => `<td>${esc(c)}</td>`).join("")}</tr>`).join("") + `</tbody></table>`;
}

function render(r) {
  const c = r.conversations, a = r.agents, cost = r.cost;
  const p = r.period;
  $("period").textContent = `${p.from.slice(0, 10)} to ${p.last_day} (${r.timezone}) · ${c.total} conversations, ` +
    `${c.over} over · generated ${r.generated_at.slice(0, 19).replace("T", " ")} UTC`;
  $("tiles").innerHTML = [
    tile("Conversations", c.total, `${c.over} over, ${c.total - c.over} still going`),
    tile("Containment (no hand-off)", pct(r.containment), of(r.containment)),
    tile(`Resolution (${r.windows.repeat_contact_hours} h)`, pct(r.resolution), `${of(r.resolution)}; ${r.resolution.pending} pending`),
    tile(`Durable resolution (${r.windows.durable_resolution_days} d)`, pct(r.durable_resolution), `${of(r.durable_resolution)}; ${r.durable_resolution.pending} pending`),
    tile("Escalation rate", pct(r.escalation), of(r.escalation)),
    tile(`Repeat contact (${r.windows.repeat_contact_hours} h)`, pct(r.repeat_contact.day), of(r.repeat_contact.day)),
    tile("Abandoned in a form", pct(r.abandonment), of(r.abandonment)),
    tile("Messages not understood", pct(r.fallback), of(r.fallback)),
    tile("Satisfaction (4–5)", pct(a.satisfaction), `${of(a.satisfaction)} rated`),
    tile("First agent reply (median)", dur(a.first_reply.median_s), `${a.first_reply.count} tickets`),
    tile("Backlog", a.backlog.open, `${a.backlog.pending} waiting, oldest ${dur(a.backlog.oldest_waiting_s)}`),
    tile("Cost per resolved issue", cost.per_resolved === null ? "n/a" : `${cost.per_resolved.toFixed(2)} ${cost.currency}`,
      `${cost.resolved} resolved (${cost.resolved_by_bot} by the bot)`),
  ].join("");
  draw("chart-days", "bar", c.by_day.map(d => d.key), [{ label: "conversations", data: c.by_day.map(d => d.count), backgroundColor: "#1f5fbf" }]);
  draw("chart-hours", "bar", c.by_hour.map((_, h) => `${h}`), [{ label: "conversations", data: c.by_hour, backgroundColor: "#5b8def" }]);
  const reasons = r.escalation.by_reason;
  draw("chart-reasons", "bar", reasons.map(g => g.key), [{ label: "hand-offs", data: reasons.map(g => g.count), backgroundColor: "#b3261e" }],
    { indexAxis: "y" });
  const channels = r.escalation.by_channel;
  draw("chart-channels", "bar", channels.map(g => `${g.key} (${g.denominator})`), [{ label: "escalated %", data: asPercent(channels), backgroundColor: "#e37400" }],
    { scales: percentAxis });
  const resolvedBy = Object.fromEntries(r.resolution.by_intent.map(g => [g.key, g]));
  const intents = r.escalation.by_intent.slice(0, 12);
  draw("chart-intents", "bar", intents.map(g => g.key), [
    { label: "resolved %", data: asPercent(intents.map(g => resolvedBy[g.key] || { rate: null })), backgroundColor: "#1e7b34" },
    { label: "escalated %", data: asPercent(intents), backgroundColor: "#b3261e" },
  ], { scales: percentAxis });
  const fallback = r.fallback.by_channel;
  draw("chart-fallback", "bar", fallback.map(g => `${g.key} (${g.denominator} msgs)`), [{ label: "not understood %", data: asPercent(fallback), backgroundColor: "#7b1fa2" }],
    { scales: percentAxis });
  const scores = ["1", "2", "3", "4", "5"];
  draw("chart-csat", "bar", scores, [{ label: "ratings", data: scores.map(s => a.satisfaction.distribution[s]), backgroundColor: "#00897b" }]);
  $("funnels").innerHTML = r.abandonment.funnels.length ? r.abandonment.funnels.map(f => `
    <h3 class="muted">${esc(f.form)}: ${f.started} started, ${f.completed} completed, ${f.abandoned} abandoned</h3>` +
    table(["question", "reached", "abandoned", "cancelled", "failed", "escalated"],
      f.steps.map(s => [s.question, s.reached, s.abandoned, s.cancelled, s.failed, s.escalated]))).join("")
    : `<p class="muted">No form was started in this period.</p>`;
  const targets = (kind) => Object.fromEntries(a.targets[kind].map(t => [t.key, t]));
  const first = targets("first_response"), resolution = targets("resolution");
  $("queues").innerHTML = table(["queue", "tickets", "first reply (median)", "first reply target met", "resolved in target", "satisfaction"],
    a.by_queue.map(q => [q.key, q.tickets, dur(q.first_reply.median_s),
      first[q.key] ? `${pct(first[q.key])} (${of(first[q.key])})` : "no target",
      resolution[q.key] ? `${pct(resolution[q.key])} (${of(resolution[q.key])})` : "no target", `${pct(q.satisfaction)} (${of(q.satisfaction)})`]));
  $("agents").innerHTML = table(["agent", "tickets", "closed", "first reply (median)", "resolution (median)", "satisfaction"],
    a.by_agent.map(g => [g.key, g.tickets, g.closed, dur(g.first_reply.median_s), dur(g.resolution.median_s), `${pct(g.satisfaction)} (${of(g.satisfaction)})`]));
  $("report").hidden = false;
}

filteredPage({
  names: FILTERS, roles: ["supervisor"], refused: "Reports are for supervisors.", endpoint: "/desk/api/reports",
  render, shown: (query) => { $("csv").href = `/desk/api/reports.csv?${query}`; },
  options: async () => {
    const o = await api("/desk/api/reports/options");
    fillSelect("f-channel", o.channels, "every channel");
    fillSelect("f-intent", o.intents, "every first task");
    fillSelect("f-queue", o.queues, "every queue");
  },
});
