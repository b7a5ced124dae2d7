from __future__ import annotations

app_name = "dashboards"

urlpatterns: list = []
