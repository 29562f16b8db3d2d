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
