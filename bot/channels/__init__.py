"""Customer channels: one module per channel, shared checks in ``inbound``.

Rasa imports this package in every server process (credentials.yml names its
channels), so the log-record redaction is installed here. The project's changes
to Rasa itself are not applied by importing anything: ``bot/rasa_cli.py`` applies
them, explicitly and in order, before Rasa starts (``bot/rasa_patches``).
"""

from privacy import logs

logs.install()
