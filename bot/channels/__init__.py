"""Customer channels: one module per channel, shared checks in ``inbound``."""
