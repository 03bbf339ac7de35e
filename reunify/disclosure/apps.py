from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "reunify.disclosure"
    label = "disclosure"
    verbose_name = "Disclosure"
