"""Model usage: what the model calls of a turn or a campaign cost."""
