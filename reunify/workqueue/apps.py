from django.apps import AppConfig


class WorkqueueConfig(AppConfig):
    name = "reunify.workqueue"
    label = "workqueue"
    verbose_name = "Work queue"
