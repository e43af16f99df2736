"""Pure domain model: aggregates, value objects, events, commands, ports and services."""
