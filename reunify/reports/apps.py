from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reunify.reports"
    label = "reports"
    verbose_name = "Court reports and notices"
