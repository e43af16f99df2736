"""Characters: their types, inputs, queries, mutations and loaders."""
