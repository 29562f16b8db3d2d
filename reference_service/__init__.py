"""Reference order & billing service: the embedded default behind the bot's
backend contract (docs/backend-api.yaml). A business points the bot at its own
systems instead by setting ORDERS_API_URL / BILLING_API_URL."""
