# The office's image: the site (gunicorn), the Celery worker and beat all run from it.
# Build: docker compose build. Runtime pins only (requirements.txt); no compiler needed.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    DATA_DIR=/data \
    MEDIA_ROOT=/data/media \
    AGENCY_DROP_DIR=/data/agency \
    LETTER_FONT_PATH=/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc \
    WEB_CONCURRENCY=3

# The CJK TrueType font that letters embed, and poppler for reading PDFs back as text.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-zenhei poppler-utils \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected into the image and served by whitenoise. Settings need a database
# URL and a key to import; neither is used by collectstatic.
RUN DATABASE_URL=postgres://build@localhost/unused SECRET_KEY=collectstatic-at-build-time-only \
    python manage.py collectstatic --no-input -v 0

RUN useradd --system --uid 1000 --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /data/media /data/agency /data/audit-checkpoints \
    && chown -R app:app /data
USER app

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--timeout", "120", \
     "--access-logfile", "-", "--error-logfile", "-"]
