"""Rasa custom actions (rasa-sdk action server). Thin: dialogue in, service calls, messages out."""
