// The Review page: missed customer messages grouped by similarity (/desk/api/review); each message opens its
// conversation and can be labelled with the intent it should have had.
const FILTERS = ["from", "to", "channel", "contains"];
const REASONS = { fallback: "not understood", out_of_scope: "out of scope", low_confidence: "low confidence",
  rephrase: "rephrased after a miss", before_low_confidence_handoff: "handed off for low confidence" };
let labelIntents = [];
const labelled = {};  // this page's own labels: a list fetched before one was given still shows it
const when = (t) => new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";

function messageRow(m) {
  const label = labelled[m.event_id] || m.label;
  const options = labelIntents.map(i => `<option${i === label ? " selected" : ""}>${esc(i)}</option>`).join("");
  return `<div class="message" data-event="${esc(m.event_id)}">
    <div><div class="text">${esc(m.text)}</div>
      <div class="muted">${m.reasons.map(r => `<span class="reason">${esc(REASONS[r] || r)}</span>`).join("")}
        ${esc(m.channel || "unknown channel")} · ${when(m.timestamp)} · nearest ${esc(m.best_intent || "none")}
        ${Number(m.confidence).toFixed(2)} · <a href="#" class="open-conversation">conversation</a></div></div>
    <div><select class="label-intent" aria-label="Intended intent"><option value="">intended intent…</option>${options}</select>
      <button class="label secondary">Label</button>
      <div class="labelled">${label ? `labelled ${esc(label)}` : ""}</div></div>
  </div>`;
}

function render(data) {
  $("summary").textContent = `${data.total} missed message(s) in the period; ${data.clustered} grouped into the groups below.`;
  $("groups").innerHTML = data.groups.length ? data.groups.map((g, i) => `
    <details class="group"${i < 3 || $("f-contains").value ? " open" : ""}>
      <summary><span class="size">${g.size}</span><span>${esc(g.example)}</span>
        <span class="muted">nearest: ${Object.entries(g.intents).slice(0, 3).map(([k, n]) => `${esc(k)} ${n}`).join(", ")}</span></summary>
      ${g.messages.map(messageRow).join("")}
    </details>`).join("") : `<p class="muted">Nothing missed in this period.</p>`;
}

async function label(row) {
  const intent = row.querySelector(".label-intent").value, out = row.querySelector(".labelled");
  if (!intent) { out.textContent = "pick the intent first"; return; }
  try {
    const stored = await api(`/desk/api/review/messages/${encodeURIComponent(row.dataset.event)}/label`,
      { method: "POST", body: JSON.stringify({ intent }) });
    labelled[row.dataset.event] = stored.intent;
    out.textContent = `labelled ${stored.intent}`;
  } catch (e) { out.textContent = e.message; }
}

async function openConversation(row) {
  $("conversation").hidden = false; document.body.classList.add("with-conversation");
  $("conversation-body").innerHTML = `<p class="muted">Loading…</p>`;
  try {
    const c = await api(`/desk/api/review/messages/${encodeURIComponent(row.dataset.event)}/conversation`);
    $("conversation-body").innerHTML = `<h2>${esc(c.channel || "")} · ${esc(c.customer)}</h2>` +
      (c.ticket_id ? `<p class="muted">Handed off: ticket #${c.ticket_id}</p>` : "") +
      c.transcript.map(l => `<div class="line ${esc(l.sender)}${Math.abs((l.timestamp || 0) - c.message_at) < 0.001 && l.sender === "customer" ? " this" : ""}">${esc(l.text)}
        ${l.sender === "customer" && l.intent ? `<div class="intent">${esc(l.intent)} ${Number(l.confidence ?? 0).toFixed(2)}</div>` : ""}</div>`).join("");
  } catch (e) { $("conversation-body").innerHTML = `<p class="error">${esc(e.message)}</p>`; }
}

$("groups").addEventListener("click", (event) => {
  const row = event.target.closest(".message");
  if (!row) return;
  if (event.target.classList.contains("label")) label(row);
  if (event.target.classList.contains("open-conversation")) { event.preventDefault(); openConversation(row); }
});
$("close-conversation").onclick = () => { $("conversation").hidden = true; document.body.classList.remove("with-conversation"); };

filteredPage({
  names: FILTERS, roles: ["designer", "supervisor"], endpoint: "/desk/api/review", render,
  refused: "The review is for conversation designers and supervisors.",
  options: async () => {
    const o = await api("/desk/api/review/options");
    fillSelect("f-channel", o.channels, "every channel");
    labelIntents = o.label_intents;
  },
});
