"""Persistence of the conversation service: tracker events and the outbox, on SQLAlchemy 2 (async)."""
