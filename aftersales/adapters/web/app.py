"""Flask application factory."""

from __future__ import annotations

from flask import Flask, jsonify, render_template
from sqlalchemy import text

from aftersales.adapters.db.engine import session_factory
from aftersales.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.web_secret_key, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.production)
    sessions = session_factory(settings.database_url)

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        with sessions() as session:
            session.execute(text("SELECT 1"))
        return jsonify(status="ok")

    @app.get("/")
    def index():  # type: ignore[no-untyped-def]
        return render_template("index.html", rasa_url=settings.rasa_url)

    return app
