"""Sessions and turns: their types, inputs, queries, mutations and loaders."""
