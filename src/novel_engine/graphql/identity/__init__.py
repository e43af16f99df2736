"""Users: signing up, logging in, and who is asking."""
