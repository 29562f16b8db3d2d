"""Stores Rasa loads by module path from the endpoints file."""
