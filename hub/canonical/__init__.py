"""Canonical model: the entities every system is mapped into."""
