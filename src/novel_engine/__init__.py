"""Novel Engine: a GraphQL real-time collaboration server for AI-driven storytelling."""

__version__ = "0.1.0"
