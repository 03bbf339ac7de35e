"""Settings for the bench's app servers: production's, plus the floor view's address.

The floor is reachable only under these settings (ROOT_URLCONF below), never in `reunify.urls`.
The bench talks plain HTTP on loopback, so its cookies may not be marked Secure.
"""

from reunify.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
