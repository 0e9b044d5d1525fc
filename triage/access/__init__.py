"""Who a caller is and what they may do: properties, API keys, users, sessions, limits."""
