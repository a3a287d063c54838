"""The web app: merchant inbox and demo shop page (Flask)."""
