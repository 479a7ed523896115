"""wecom package (filled in by later issues)."""
