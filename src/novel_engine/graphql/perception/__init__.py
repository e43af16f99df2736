"""Perception: what a character knows and perceived (turn briefs)."""
