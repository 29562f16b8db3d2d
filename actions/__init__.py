"""The rasa-sdk action server: form validation, task actions and fallbacks."""
