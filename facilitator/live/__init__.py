"""The session engine: commands, the state folded from the log, days that start and end, the pace."""
