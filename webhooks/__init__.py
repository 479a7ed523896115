"""webhooks package (filled in by later issues)."""
