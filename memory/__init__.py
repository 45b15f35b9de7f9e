"""Long-term memory of users: signals, profiles, themes and the decision log, on Qdrant."""
