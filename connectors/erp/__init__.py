"""erp package (filled in by later issues)."""
