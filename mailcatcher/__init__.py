"""mailcatcher: the local SMTP server the bot's e-mail channel sends to on a developer's machine and in the
end-to-end tests. It stores every message it receives, checks it as a strict receiving system would
(``rules``), and shows it on a web page and a JSON API (docs/mailcatcher.md)."""
