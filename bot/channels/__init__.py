"""Channel adapters: each registers its own routes and keeps the raw payload of what it receives."""
