from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "reunify.safety"
    label = "safety"
    verbose_name = "Safety"
