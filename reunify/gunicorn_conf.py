"""The production gunicorn settings: `gunicorn -c python:reunify.gunicorn_conf reunify.wsgi`.

Threaded workers (`gthread`): a client that sends its headers slowly (or never) holds one thread,
not a whole worker, so a handful of slow or idle connections cannot make the server unreachable
(two such clients stopped two sync workers for 30 s). Against many of them put a buffering proxy
in front (nginx; see the README), which hands gunicorn only complete requests.
Each setting can be changed from the environment.
"""

import os

bind = os.environ.get("REUNIFY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("REUNIFY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("REUNIFY_THREADS", "8"))
# A request that takes longer than this is killed; the database's statement timeout is shorter.
timeout = int(os.environ.get("REUNIFY_WORKER_TIMEOUT", "60"))
graceful_timeout = 30
# Idle keep-alive connections are closed quickly, so they do not hold threads.
keepalive = 2
# Restart workers now and then, so a slow leak never grows.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
