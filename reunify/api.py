"""The JSON API under /api/v1/: django-ninja, bearer tokens, the same services as the pages."""

from ninja import NinjaAPI

api = NinjaAPI(title="Reunify API", version="1", urls_namespace="api")
