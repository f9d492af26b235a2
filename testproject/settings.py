"""Settings of the demo project, read from the environment through django-environ.

DATABASE_URL          default: SQLite at testproject/db.sqlite3; postgres://... works too
SECRET_KEY            default: an insecure development key
DEBUG                 default: True (this is a local demo)
ALLOWED_HOSTS         default: localhost, 127.0.0.1, [::1]
HATCHET_CLIENT_TOKEN  default: unset, so jobs run inline, in the web process
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="django-insecure-django-hatchet-demo-only")
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_hatchet",
    "testproject.orders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "testproject.urls"
WSGI_APPLICATION = "testproject.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'testproject' / 'db.sqlite3'}"
    ),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []  # The demo's admin/admin account.

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

# django-hatchet ------------------------------------------------------------------------

# Unset: jobs run inline. Set (here or in the environment): jobs go to the Hatchet engine.
HATCHET_CLIENT_TOKEN = env("HATCHET_CLIENT_TOKEN", default=None)

# Development with a local engine and no token: `manage.py runworker --embedded` starts one,
# and with HATCHET_EMBEDDED=1 the web process finds it (see docs/engine.md).
HATCHET_EMBEDDED = env.bool("HATCHET_EMBEDDED", default=False)

HATCHET_CRONS = {
    # Every night at 03:00 UTC, the report of the day before (the job's default).
    "nightly-report": {
        "job": "testproject.orders.tasks.build_daily_report",
        "schedule": "0 3 * * *",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "loggers": {
        "django_hatchet": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "testproject": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
