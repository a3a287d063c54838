"""WSGI entry point: gunicorn 'aftersales.entrypoints.web.wsgi:app'."""

from aftersales.entrypoints.web.app import create_app

app = create_app()
