"""Domain events as clients read them, and the live subscriptions (campaign events,
presence)."""
