"""WSGI entry point: gunicorn 'aftersales.adapters.web.wsgi:app'."""

from aftersales.adapters.web.app import create_app

app = create_app()
