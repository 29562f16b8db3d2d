"""Customer channels: one module per channel, shared checks in ``inbound``.

Rasa imports this package in every server process (credentials.yml names its
channels), so the serving speed-ups and the at-most-once check for resent
messages are applied here, once per process.
"""

from bot import idempotent_messages, rasa_speedups

rasa_speedups.apply()
idempotent_messages.apply()
