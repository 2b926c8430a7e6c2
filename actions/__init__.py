"""Custom actions on rasa-sdk. Thin: they call routing/ and the dispatch backend.

Run in-process by the bot's executor, or as a real action server:
``python -m rasa_sdk --actions actions``.
"""
