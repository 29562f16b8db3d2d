"""Dialogue policies Rasa loads by module path from config.yml."""
