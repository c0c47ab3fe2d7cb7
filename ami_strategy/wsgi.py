"""WSGI entry point (gunicorn ami_strategy.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ami_strategy.settings")

application = get_wsgi_application()
