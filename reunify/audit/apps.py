from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "reunify.audit"
    label = "audit"
    verbose_name = "Audit log"
