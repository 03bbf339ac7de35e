"""WSGI entry point for production servers (e.g. `gunicorn reunify.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reunify.settings")
application = get_wsgi_application()

from reunify.accounts.checks import refuse_development_key  # noqa: E402  (needs settings)

refuse_development_key()
