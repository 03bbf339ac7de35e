from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "reunify.clinical"
    label = "clinical"
    verbose_name = "Clinical record"
