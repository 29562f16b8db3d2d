const state = { selected: null, agent: null, role: null };
const ago = (secs) => secs < 60 ? `${secs}s` : secs < 3600 ? `${Math.floor(secs/60)}m` : `${Math.floor(secs/3600)}h`;

function showLogin() { $("login").hidden = false; $("desk").hidden = true; }
desk.signedOut = showLogin;
// A designer works on the Review page, never on tickets.
function landing(session) { if (session.role === "designer") { location.href = "/desk/review"; return false; } return true; }

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const reply = await fetch("/desk/api/login", { method: "POST", credentials: "same-origin",
    body: JSON.stringify({ agent: $("agent").value, password: $("password").value }) });
  if (!reply.ok) {
    const body = await reply.json().catch(() => ({}));
    $("login-error").textContent = reply.status === 429 ? body.detail : "Unknown agent or wrong password.";
    return;
  }
  const session = await reply.json();
  desk.csrf = session.csrf;
  if (!landing(session)) return;
  navigation(session);
  $("login").hidden = true; $("desk").hidden = false; refresh();
});

async function startSession() {
  const session = await loadSession();
  if (session && !landing(session)) return;
  refresh();
}

$("sign-out").onclick = async () => {
  await api("/desk/api/logout", { method: "POST" }).catch(() => {});
  desk.csrf = null; showLogin();
};

async function refresh() {
  let data;
  try { data = await api("/desk/api/tickets"); } catch { return; }
  $("login").hidden = true; $("desk").hidden = false;
  state.agent = data.agent; state.role = data.role;
  navigation({ agent: data.agent, role: data.role });
  $("sign-out").hidden = false;
  $("queue").innerHTML = data.tickets.length ? data.tickets.map(t => `
    <div class="ticket ${t.id === state.selected ? "active" : ""}" data-id="${t.id}" role="button" tabindex="0">
      <div class="top"><span>#${t.id} · ${esc(t.queue)}</span><span class="prio p${t.priority}" title="priority">${t.priority}</span></div>
      <div>${esc(t.summary)}</div>
      <div class="muted">${esc(t.status)}${t.assigned_to ? " · " + esc(t.assigned_to) : ""} · waiting ${ago(t.waiting_seconds)} · ${esc(t.channel)}</div>
    </div>`).join("") : `<p class="muted" style="padding:14px">No open conversations.</p>`;
  document.querySelectorAll(".ticket").forEach(el => el.onclick = () => select(Number(el.dataset.id)));
  if (state.selected) show(state.selected);
}

async function select(id) { state.selected = id; $("action-error").textContent = ""; refresh(); }

async function show(id) {
  let data;
  try { data = await api(`/desk/api/tickets/${id}`); } catch (e) { $("action-error").textContent = e.message; return; }
  const t = data.ticket, p = t.payload;
  const mine = t.assigned_to === state.agent;
  $("actions").hidden = false; $("composer").hidden = !(t.status === "assigned" && mine);
  $("claim").disabled = t.status !== "pending";
  const supervisor = state.role === "supervisor";
  $("resolve").disabled = $("return").disabled = !(t.status === "assigned" && (mine || supervisor) || t.status === "pending");
  $("takeover").hidden = !(supervisor && t.status === "assigned" && !mine);
  const notes = data.messages.filter(m => m.kind === "note")
    .map(m => `<div class="msg note"><b>Note · ${esc(m.author)}</b><br>${esc(m.text)}</div>`).join("");
  // Replies not yet in the conversation (waiting for the bot server) or that could not be put there.
  const unsent = data.messages.filter(m => m.kind === "reply" && m.delivery && m.delivery !== "delivered")
    .map(m => `<div class="msg agent"><b>${esc(m.author)}</b><br>${esc(m.text)}
      <div class="delivery ${m.delivery === "failed" ? "failed" : ""}">${m.delivery === "failed"
        ? "not delivered: " + esc(m.delivery_error || "the bot server could not be reached") : "sending…"}</div></div>`).join("");
  const attachments = (m) => (m.attachments || []).map(a => /^https?:/.test(a.url)
    ? `<a class="attachment" href="${esc(a.url)}" target="_blank" rel="noopener noreferrer">${esc(a.kind)}${a.content_type ? " (" + esc(a.content_type) + ")" : ""}: ${esc(a.name || a.url)}</a>`
    : `<span class="attachment">${esc(a.kind)}: ${esc(a.url)}</span>`).join("");
  $("transcript").innerHTML = data.transcript.map(m => `
    <div class="msg ${m.sender}">${m.sender === "agent" ? `<b>${esc(m.agent)}</b><br>` : ""}${esc(m.text)}${attachments(m)}
      ${m.sender === "customer" && m.intent ? `<div class="intent">${esc(m.intent)} ${(m.confidence ?? 0).toFixed(2)}
        · next: ${(m.top_intents || []).slice(1).map(r => `${esc(r[0])} ${Number(r[1]).toFixed(2)}`).join(", ")}</div>` : ""}
    </div>`).join("") + unsent + notes;
  const failed = (data.effects || []).filter(e => e.state === "failed");
  $("effects-error").hidden = !failed.length;
  $("effects-text").textContent = failed.length ? `${failed.length} change(s) could not reach the conversation (${failed.map(e => e.kind).join(", ")}): ${failed[0].last_error || ""}` : "";
  const ch = data.channel || {};
  $("channel-hint").textContent = ch.label ? `The customer is on ${ch.label}` + (ch.max_chars ? `: replies over ${ch.max_chars.toLocaleString()} characters arrive in parts` : "") + (ch.later === "poll" ? "; their app fetches your reply" : "") + "." : "";
  const v = p.verification || {};
  const last = [...data.transcript].reverse().find(m => m.sender === "customer");
  $("context").innerHTML = `
    <dt>Reason</dt><dd>${esc(p.reason)} (priority ${t.priority})</dd>
    <dt>Why</dt><dd>${esc(p.explanation)}</dd>
    <dt>Summary</dt><dd>${esc(p.summary)}</dd>
    <dt>Last intent</dt><dd>${last ? `${esc(last.intent)} ${(last.confidence ?? 0).toFixed(2)}` : "-"}</dd>
    <dt>Verification</dt><dd>${v.order_number ? `order ${esc(v.order_number)}: ${v.order_verified ? "verified" : "not verified"}` : "no order"}${v.account_verified ? "; account verified" : ""}</dd>
    <dt>Captured</dt><dd>${Object.entries(p.slots || {}).map(([k, val]) => `${esc(k)}: ${esc(typeof val === "object" ? JSON.stringify(val) : val)}`).join("<br>") || "-"}</dd>
    <dt>Customer</dt><dd>${esc(p.channel)} · ${esc(p.customer_address)}</dd>`;
}

async function act(path, body) {
  $("action-error").textContent = "";
  try { await api(`/desk/api/tickets/${state.selected}/${path}`, { method: "POST", body: JSON.stringify(body || {}) }); }
  catch (e) { $("action-error").textContent = e.message; }
  refresh();
}
$("claim").onclick = () => act("claim");
$("redeliver").onclick = () => act("redeliver");
$("takeover").onclick = () => act("takeover");
$("resolve").onclick = () => act("resolve");
$("return").onclick = () => act("return");
$("send-reply").onclick = async () => { const text = $("reply-text").value.trim(); if (text) { await act("reply", { text }); $("reply-text").value = ""; } };
$("add-note").onclick = async () => { const text = $("reply-text").value.trim(); if (text) { await act("note", { text }); $("reply-text").value = ""; } };

startSession();
setInterval(refresh, 2000);
