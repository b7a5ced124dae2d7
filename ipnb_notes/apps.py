from __future__ import annotations

from django.apps import AppConfig


class IpnbNotesConfig(AppConfig):
    name = "ipnb_notes"
    verbose_name = "ipnb-notes"
