"""Campaigns: their types, inputs, queries, mutations and loaders."""
