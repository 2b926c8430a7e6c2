"""The dialogue engine: domain, tracker of Rasa-compatible events, rules, forms and the processor."""
