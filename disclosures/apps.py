from __future__ import annotations

from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "disclosures"
