"""Fixtures for the provider doubles' own tests (see _rbm_fixtures.py)."""

from tests.providers._rbm_fixtures import hook, info, rbm, token, webhooks  # noqa: F401 - pytest fixtures
