"""Flask application factory: the merchant inbox (HTML), the case API (JSON) and the health check."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, jsonify, render_template, send_file
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import text

from aftersales import bootstrap
from aftersales.adapters.db.engine import session_factory
from aftersales.config import Settings
from aftersales.entrypoints.web.api import api
from aftersales.entrypoints.web.inbox import inbox
from aftersales.entrypoints.web.services import EXTENSION
from aftersales.entrypoints.web.shop import shop

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.web_secret_key, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.production,
                      WTF_CSRF_TIME_LIMIT=None, MAX_CONTENT_LENGTH=256 * 1024)
    # Short timeouts: a merchant's click waits for at most one attempt; the worker retries later.
    app.extensions[EXTENSION] = bootstrap.services(settings, rasa_timeout=(2.0, 10.0), rasa_retries=1)
    sessions = session_factory(settings.database_url)

    csrf = CSRFProtect(app)
    csrf.exempt(api)  # bearer-token API: no cookies, so nothing for CSRF to ride on
    app.register_blueprint(api)
    app.register_blueprint(inbox)
    app.register_blueprint(shop)

    @app.get("/healthz")
    def healthz():
        with sessions() as session:
            session.execute(text("SELECT 1"))
        return jsonify(status="ok")

    @app.get("/")
    def index():
        return render_template("index.html", rasa_url=settings.rasa_url)

    @app.get("/api/openapi.yaml")
    def openapi():
        return send_file(OPENAPI_PATH, mimetype="application/yaml")

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
        if settings.production:  # served over https only: browsers must never fall back to http
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    return app
