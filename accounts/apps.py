from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # Binds second-factor secrets to their authenticator from the first query on.
        from accounts import mfa  # noqa: F401
