"""Adapters: storage, policy files, HTTP clients, Rasa actions, web."""
