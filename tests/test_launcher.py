from bot.launcher import api_flags


def test_http_api_stays_closed_without_a_secret():
    assert api_flags({}) == []


def test_http_api_opens_only_with_a_token_or_jwt_secret():
    assert api_flags({"RASA_AUTH_TOKEN": "t"}) == ["--enable-api", "--auth-token", "t"]
    assert api_flags({"RASA_JWT_SECRET": "s"})[:2] == ["--enable-api", "--jwt-secret"]
    both = api_flags({"RASA_AUTH_TOKEN": "t", "RASA_JWT_SECRET": "s"})
    assert "--auth-token" in both and "--jwt-secret" in both
