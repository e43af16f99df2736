"""The story engine: pure Python beside the domain, talking to models through ports."""
