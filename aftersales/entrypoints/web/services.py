"""The services the web app's blueprints use: built once by create_app (bootstrap.services) and kept
on the Flask app, so that every blueprint reaches them without importing the app factory."""

from __future__ import annotations

from flask import current_app

from aftersales import bootstrap

EXTENSION = "aftersales"


def services() -> bootstrap.Services:
    """The running app's services (an ``aftersales.bootstrap.Services``)."""
    return current_app.extensions[EXTENSION]
