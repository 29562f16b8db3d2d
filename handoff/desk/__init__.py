"""The built-in agent desk: a queue, a conversation view, and the actions an
agent takes (claim, reply, note, resolve, return to the bot)."""
