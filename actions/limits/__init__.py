"""Limits that hold across conversations: failed proofs of ownership and e-mails sent, counted in a store every
action-server process shares (SQL embedded, Redis in production), so no restart, new sender id or new session
resets them."""
