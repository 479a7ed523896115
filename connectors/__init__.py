"""connectors package (filled in by later issues)."""
