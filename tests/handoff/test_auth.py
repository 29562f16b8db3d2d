import pytest

from handoff.desk.auth import AgentConfigError, Agents, agent_for_token, issue_token

SECRET = b"s" * 32


def test_passwords_are_checked_against_salted_hashes():
    agents = Agents.from_spec("alice:secret1, bob:secret2")
    assert agents.check("alice", "secret1") and not agents.check("alice", "secret2")
    assert not agents.check("carol", "secret1")
    assert b"secret1" not in b"".join(agents.hashes.values())


def test_malformed_agent_lists_are_refused():
    for spec in ("", "alice", "alice:"):
        with pytest.raises(AgentConfigError):
            Agents.from_spec(spec)


def test_tokens_name_their_agent_until_they_expire_and_cannot_be_forged():
    token = issue_token("alice", SECRET, now=1000, lifetime=60)
    assert agent_for_token(token, SECRET, now=1030) == "alice"
    assert agent_for_token(token, SECRET, now=1061) is None
    assert agent_for_token(token, b"x" * 32, now=1030) is None
    assert agent_for_token("bm9wZQ==", SECRET, now=1030) is None


def test_roles_come_with_the_agent_list():
    from handoff.desk.auth import Role

    agents = Agents.from_spec("alice:secret1:supervisor,bob:pa:ss,dee:pw:designer")
    assert agents.role("alice") is Role.SUPERVISOR and agents.role("bob") is Role.AGENT
    assert agents.role("dee") is Role.DESIGNER
    assert agents.check("bob", "pa:ss") and agents.check("alice", "secret1") and agents.check("dee", "pw")


def test_each_role_reaches_only_its_own_part_of_the_desk():
    from handoff.desk.access import permitted
    from handoff.desk.auth import Role

    tickets, reports, review = "/desk/api/tickets/7/claim", "/desk/api/reports.csv", "/desk/api/review/e1/label"
    assert [permitted(Role.AGENT, p) for p in (tickets, reports, review)] == [True, False, False]
    assert [permitted(Role.SUPERVISOR, p) for p in (tickets, reports, review)] == [True, True, True]
    assert [permitted(Role.DESIGNER, p) for p in (tickets, reports, review)] == [False, False, True]
    for role in Role:  # signing in and out is everyone's; a path no area names is nobody's
        assert permitted(role, "/desk/api/session") and permitted(role, "/desk/api/logout")
        assert not permitted(role, "/desk/api/ticketsx") and not permitted(role, "/desk/api/other")


def test_any_token_that_is_not_ours_is_simply_no_session():
    from handoff.desk.auth import session_for_token

    for junk in ("", "é" * 40, "%%%", "AAAA", "bm9wZQ==", "YXxifGN8ZA==", "😀"):
        assert session_for_token(junk, SECRET, now=1) is None
    assert agent_for_token(issue_token("alice", SECRET, now=1000) + "x", SECRET, now=1001) is None


def test_failed_sign_ins_lock_the_name_and_the_address_out_for_the_window():
    from handoff.desk.security import LoginThrottle

    throttle = LoginThrottle(max_per_name=3, max_per_address=5, window_seconds=60)
    for n in range(3):
        assert throttle.retry_after("sam", "10.0.0.1", now=n) is None
        throttle.failed("sam", "10.0.0.1", now=n)
    assert 57 <= throttle.retry_after("sam", "10.0.0.9", now=3) <= 58  # the name, from anywhere
    assert throttle.retry_after("kim", "10.0.0.2", now=3) is None
    for n in range(2):
        throttle.failed(f"guess{n}", "10.0.0.1", now=4)
    assert throttle.retry_after("kim", "10.0.0.1", now=5) is not None  # the address, for any name
    assert throttle.retry_after("sam", "10.0.0.9", now=61) is None  # the window passes


def test_cross_site_changes_are_recognised():
    from handoff.desk.security import cross_site

    assert cross_site("POST", {"origin": "http://evil.example"}, "127.0.0.1:5300")
    assert cross_site("POST", {"sec-fetch-site": "cross-site"}, "127.0.0.1:5300")
    assert cross_site("POST", {"sec-fetch-site": "same-site"}, "127.0.0.1:5300")  # another port is another origin
    assert cross_site("POST", {"origin": "null"}, "127.0.0.1:5300")
    ours = {"origin": "http://127.0.0.1:5300", "sec-fetch-site": "same-origin"}
    assert not cross_site("POST", ours, "127.0.0.1:5300")
    assert not cross_site("POST", {}, "127.0.0.1:5300")  # a server calling the API
    assert not cross_site("GET", {"origin": "http://evil.example"}, "127.0.0.1:5300")


def test_the_session_cookie_is_secure_behind_https(monkeypatch):
    from types import SimpleNamespace

    from handoff.desk.app import secure_cookies

    assert secure_cookies(SimpleNamespace(scheme="https"))
    assert not secure_cookies(SimpleNamespace(scheme="http"))
    monkeypatch.setenv("DESK_BEHIND_HTTPS", "true")  # a proxy terminates TLS in front of the desk
    assert secure_cookies(SimpleNamespace(scheme="http"))
