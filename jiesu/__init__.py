"""jiesu: a citizen-appeal intake bot for 12345 hotlines (接诉即办)."""

__version__ = "0.1.0"
