from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "reunify.documents"
    label = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from reunify.documents import checks  # noqa: F401  (registers the storage check)
