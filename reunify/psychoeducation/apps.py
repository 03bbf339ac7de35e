from django.apps import AppConfig


class PsychoeducationConfig(AppConfig):
    name = "reunify.psychoeducation"
    label = "psychoeducation"
    verbose_name = "Psychoeducation"
