"""dingtalk package (filled in by later issues)."""
