"""One function per command, each running inside a unit of work."""
