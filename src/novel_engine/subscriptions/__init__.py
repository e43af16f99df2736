"""Live events: the hub between processes, per-stream feeds, resumable streams, presence."""
