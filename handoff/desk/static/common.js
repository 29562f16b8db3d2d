// Shared by the desk's pages: element lookup, escaping, the signed-in API call and the page links by role.
const desk = { csrf: null, signedOut: () => { location.href = "/desk"; } };
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json", ...(desk.csrf ? { "X-CSRF-Token": desk.csrf } : {}) };
  const reply = await fetch(path, { credentials: "same-origin", headers, ...options });
  if (reply.status === 401) { desk.signedOut(); throw new Error("signed out"); }
  const body = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new Error(body.detail || `error ${reply.status}`);
  return body;
}

// The pages each role may open (the API checks again: handoff/desk/access.py).
const PAGES = [
  { href: "/desk", label: "Queue", roles: ["agent", "supervisor"] },
  { href: "/desk/reports", label: "Reports", roles: ["supervisor"] },
  { href: "/desk/review", label: "Review", roles: ["supervisor", "designer"] },
];

function navigation(session) {
  const nav = $("nav");
  if (!nav || !session) return;
  nav.innerHTML = PAGES.filter(p => p.roles.includes(session.role)).map(p =>
    `<a href="${p.href}"${location.pathname === p.href ? ' aria-current="page"' : ""}>${esc(p.label)}</a>`).join(" ");
  const who = $("who");
  if (who) who.textContent = `Signed in as ${session.agent}${session.role === "agent" ? "" : ` (${session.role})`}`;
}

// The signed-in session (and its CSRF token), or null: the pages other than the queue send you to sign in there.
async function loadSession() {
  const reply = await fetch("/desk/api/session", { credentials: "same-origin" });
  if (!reply.ok) return null;
  const session = await reply.json();
  desk.csrf = session.csrf;
  navigation(session);
  return session;
}

function signOutButton() {
  const button = $("sign-out");
  if (!button) return;
  button.hidden = false;
  button.onclick = async () => {
    await api("/desk/api/logout", { method: "POST" }).catch(() => {});
    desk.csrf = null; location.href = "/desk";
  };
}

// Filters kept in the address (so a view can be bookmarked and shared) and read back into the form.
function filtersFromAddress(names) {
  const params = new URLSearchParams(location.search);
  for (const name of names) { const field = $(`f-${name}`); if (field && params.get(name)) field.value = params.get(name); }
}
function filterQuery(names) {
  const params = new URLSearchParams();
  for (const name of names) { const value = $(`f-${name}`)?.value; if (value) params.set(name, value); }
  return params.toString();
}
function fillSelect(id, values, blank) {
  const field = $(id), current = new URLSearchParams(location.search).get(id.slice(2)) || field.value;
  field.innerHTML = `<option value="">${esc(blank)}</option>` + values.map(v => `<option>${esc(v)}</option>`).join("");
  field.value = values.includes(current) ? current : "";
}

// A page of figures behind filters (Reports, Review): the session and role checked, the filters read from the
// address (the last 7 days by default), the choices loaded, and the figures fetched on every "Show".
async function filteredPage({ names, roles, refused, options, endpoint, render, shown }) {
  const session = await loadSession();
  if (!session) { $("signed-out").hidden = false; return; }
  signOutButton();
  if (!roles.includes(session.role)) { $("page-error").textContent = refused; return; }
  $("filters").hidden = false;
  filtersFromAddress(names);
  const today = new Date(), day = (d) => d.toISOString().slice(0, 10);
  if (!$("f-to").value) $("f-to").value = day(today);
  if (!$("f-from").value) $("f-from").value = day(new Date(today.getTime() - 6 * 86400000));
  try { await options(); } catch (e) { $("page-error").textContent = e.message; }
  let latest = 0;  // "Show" pressed twice: only the last answer is drawn, whichever arrives last
  async function show() {
    $("page-error").textContent = "";
    const query = filterQuery(names), asked = ++latest;
    history.replaceState(null, "", `${location.pathname}?${query}`);
    if (shown) shown(query);
    try {
      const figures = await api(`${endpoint}?${query}`);
      if (asked === latest) render(figures);
    } catch (e) { if (asked === latest) $("page-error").textContent = e.message; }
  }
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); show(); });
  show();
}
