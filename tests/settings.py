"""Settings for django-hatchet's own test suite. DATABASE_URL picks the database."""

import environ

env = environ.Env()

SECRET_KEY = "django-hatchet-tests"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}
# The fault-injection tests run workers with persistent connections too.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("TEST_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_hatchet",
    "tests.testapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
ROOT_URLCONF = "tests.urls"
HATCHET_AUTODISCOVER_MODULES = ["tasks", "jobs", "celery_tasks"]
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    HATCHET_AUTODISCOVER_MODULES.append("fault_tasks")  # single_flight needs PostgreSQL.
HATCHET_RATE_LIMITS = {"tests-per-second": (1, "second")}
HATCHET_CRONS = {
    "nightly-sum": {"job": "tests.testapp.tasks.add", "schedule": "0 3 * * *", "args": [1, 2]},
}

# A logger the project keeps out of the root logger's handlers (as testproject's LOGGING does):
# a job's lines on it still reach its run's log on the engine (django_hatchet.engine.capture).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"quiet": {"class": "logging.NullHandler"}},
    "loggers": {"tests.quiet": {"handlers": ["quiet"], "level": "INFO", "propagate": False}},
}
