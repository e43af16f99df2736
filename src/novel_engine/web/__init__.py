"""The composition root: settings, the ASGI app, GraphQL over HTTP, health, metrics, CLI."""
