# One image for every process of the stack: docker-compose.yml runs it as web (this CMD), the
# Celery workers, beat and the one-shot migrate job, each with its own command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_CONCURRENCY=3

# msgfmt, for compiling the translation catalogues below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, from pyproject.toml alone (it installs no package of its own), so this
# slow layer is rebuilt only when the pins change, not on every code change.
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Static files and compiled translations are baked in. Settings refuse to load without a
# SECRET_KEY; this throwaway one lives only inside this RUN, never in the image's environment.
RUN export SECRET_KEY=build-time-only-not-a-secret \
    && python manage.py collectstatic --noinput \
    && if find . -name '*.po' | grep -q .; then python manage.py compilemessages; fi

# Never root at run time. Settings create .local on import (the broker's folders when no Redis
# is configured), so that one folder belongs to the runtime user.
RUN useradd --system --uid 10001 --create-home --home-dir /home/cpp cpp \
    && mkdir -p /app/.local \
    && chown -R cpp:cpp /app/.local
USER cpp

EXPOSE 8000
# Workers come from WEB_CONCURRENCY (gunicorn reads it), so ops tune it without a new image.
# /dev/shm keeps gunicorn's heartbeat files off the container's overlay filesystem.
CMD ["gunicorn", "cpp_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", "--timeout", "60", "--access-logfile", "-"]
