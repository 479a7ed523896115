"""mail package (filled in by later issues)."""
