# The plain commands behind LANET's processes; `./manage.sh run` and `./manage.sh test` wrap them.
.PHONY: run test migrate seed web worker beat lint translations

run:
	./manage.sh run

test:
	./manage.sh test

migrate:
	flask --app wsgi db upgrade

seed:
	flask --app wsgi seed demo

web:
	gunicorn wsgi:app --bind 0.0.0.0:8000 --workers 4 --threads 4

worker:
	celery -A workers worker --loglevel=INFO -Q celery,mail,calendars,reports

beat:
	celery -A workers beat --loglevel=INFO

lint:
	ruff check . && ruff format --check .

translations:
	python scripts/i18n.py update && python scripts/i18n.py missing
