FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY lanet ./lanet
COPY workers ./workers
RUN pip install --no-cache-dir . && pybabel compile -d lanet/translations
COPY . .
RUN pip install --no-cache-dir --no-deps -e . && pybabel compile -d lanet/translations
EXPOSE 8000
CMD ["gunicorn", "wsgi:app", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "4"]
