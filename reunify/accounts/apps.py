from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "reunify.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from reunify.accounts import checks  # noqa: F401  (registers the secret-key check)
