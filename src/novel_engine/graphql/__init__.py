"""The GraphQL layer: one sub-package per area (its types, inputs, queries, mutations with
their result unions, loaders), merged at the root with the schema and its extensions."""
