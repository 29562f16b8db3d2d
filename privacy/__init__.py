"""Privacy rules the system enforces: what may be stored, logged or shown."""
