"""The rasa-sdk action server: form validation, task actions and fallbacks."""

from actions import log_hygiene

log_hygiene.install()
