"""The rasa-sdk action server: form validation, task actions and fallbacks."""

from actions import log_hygiene
from privacy import logs

log_hygiene.install()
logs.install()
