FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/app/.venv UV_PYTHON_DOWNLOADS=never
# DejaVu Sans: the Unicode font released records are printed in (names in any script).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir uv==0.13.8 && useradd --system --create-home --uid 1000 ipnb
WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --locked --no-default-groups --no-install-project
COPY . .
# Production settings, so the hashed, compressed files and their manifest are what gets
# collected; these throwaway values exist only for this build step.
RUN IPNB_ENV=production SECRET_KEY=build-only-not-a-secret-0123456789-abcdefghijklmnop \
    FIELD_ENCRYPTION_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= AUDIT_HMAC_KEY=build-only \
    DATABASE_URL=postgresql://build@localhost/build AUDIT_ANCHOR_FILE=/nonexistent/build-only \
    /app/.venv/bin/python manage.py collectstatic --noinput
USER ipnb
EXPOSE 8000
CMD ["/app/.venv/bin/gunicorn", "-c", "ops/gunicorn.conf.py", "ipnb_notes.wsgi"]
