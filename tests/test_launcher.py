import pytest

from bot.launcher import StartupError, api_flags, check_workers, main, parse_config


def test_http_api_stays_closed_without_a_secret():
    assert api_flags({}) == []


def test_http_api_opens_only_with_a_token_or_jwt_secret():
    assert api_flags({"RASA_AUTH_TOKEN": "t"}) == ["--enable-api", "--auth-token", "t"]
    assert api_flags({"RASA_JWT_SECRET": "s"})[:2] == ["--enable-api", "--jwt-secret"]
    both = api_flags({"RASA_AUTH_TOKEN": "t", "RASA_JWT_SECRET": "s"})
    assert "--auth-token" in both and "--jwt-secret" in both


def test_the_profile_and_worker_counts_reach_the_stack(monkeypatch):
    monkeypatch.setenv("PROFILE", "production")
    monkeypatch.setenv("RASA_WORKERS", "3")
    config = parse_config([])
    assert (config.profile, config.rasa_workers, config.action_workers) == ("production", 3, 1)
    config = parse_config(["--profile", "embedded", "--rasa-workers", "1", "--action-workers", "2"])
    assert (config.profile, config.rasa_workers, config.action_workers) == ("embedded", 1, 2)


def test_several_rasa_workers_need_the_production_profile():
    check_workers("production", 4, 2)
    with pytest.raises(StartupError, match="Redis lock store"):
        check_workers("embedded", 2, 1)
    with pytest.raises(StartupError, match="at least 1"):
        check_workers("production", 0, 1)


def test_the_launcher_refuses_workers_without_a_shared_lock_store(capsys):
    assert main(["--profile", "embedded", "--rasa-workers", "2"]) == 1
    assert "Redis lock store" in capsys.readouterr().err


def test_the_action_server_keeps_an_idle_connection_past_sanics_default_keep_alive(stack):
    """Rasa may reuse a kept connection seconds after the response arrived when its loop lags; the action server
    must not have closed it (Sanic's own default closes after 5 s idle)."""
    import socket
    import time

    request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{stack.config.actions_port}\r\n\r\n".encode()

    def ask(connection: socket.socket) -> bytes:
        connection.sendall(request)
        return connection.recv(4096)

    with socket.create_connection(("127.0.0.1", stack.config.actions_port), timeout=5) as connection:
        assert ask(connection).startswith(b"HTTP/1.1 200")
        time.sleep(6.5)
        assert ask(connection).startswith(b"HTTP/1.1 200")  # the same connection, still open


def test_the_embedded_profile_calls_the_action_server_on_its_port(tmp_path, monkeypatch):
    """ACTIONS_PORT moves the action server; the endpoints Rasa gets must follow it (not endpoints.yml's 5055)."""
    import yaml

    from bot.launcher import ROOT, Stack
    from bot.profiles import with_action_server

    monkeypatch.setenv("ACTIONS_PORT", "6123")
    config = parse_config([])
    assert config.actions_port == 6123
    destination = tmp_path / "endpoints.yml"
    rendered = with_action_server(ROOT / "endpoints.yml", Stack(config).actions_url, "s3cret", destination)
    endpoints = yaml.safe_load(rendered.read_text())
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:6123/webhook"
    assert endpoints["action_endpoint"]["headers"] == {"Authorization": "Bearer s3cret"}
    assert rendered.stat().st_mode & 0o077 == 0  # it holds a secret: this user only
    assert endpoints["tracker_store"] == yaml.safe_load((ROOT / "endpoints.yml").read_text())["tracker_store"]
