from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "reunify.portal"
    label = "portal"
    verbose_name = "Portal"
