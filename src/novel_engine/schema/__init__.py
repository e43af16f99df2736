"""The GraphQL schema: types, inputs, errors and the root operations."""
