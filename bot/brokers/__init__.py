"""Event brokers Rasa loads by module path from the endpoints file."""
