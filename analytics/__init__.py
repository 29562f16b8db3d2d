"""Support-load analytics: what the bot resolves, where it fails, what customers said (docs/analytics.md)."""
