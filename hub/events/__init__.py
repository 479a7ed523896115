"""Events: the outbox written with every change, and its readers."""
