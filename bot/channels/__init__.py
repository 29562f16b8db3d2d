"""Customer channels: one module per channel, shared checks in ``inbound``.

Rasa imports this package in every server process (credentials.yml names its
channels), so the project's changes to Rasa's serving path are applied here,
once per process (``bot/rasa_patches``).
"""

from bot.rasa_patches import apply_all
from privacy import logs

apply_all()
logs.install()
