"""`gunicorn wsgi:app` and `flask --app wsgi …` start here."""

from lanet import create_app

app = create_app()
