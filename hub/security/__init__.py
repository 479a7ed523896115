"""Security: API keys and roles."""
