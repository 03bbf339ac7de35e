from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "reunify.measures"
    label = "measures"
    verbose_name = "Measures"
