FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/app/.venv UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv==0.13.8 && useradd --system --create-home --uid 1000 ipnb
WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --locked --no-default-groups --no-install-project
COPY . .
RUN IPNB_ENV=test DATABASE_URL=postgresql://build@localhost/build /app/.venv/bin/python manage.py collectstatic --noinput
USER ipnb
EXPOSE 8000
CMD ["/app/.venv/bin/gunicorn", "ipnb_notes.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
