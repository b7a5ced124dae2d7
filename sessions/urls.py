from __future__ import annotations

from sessions.capture.urls import urlpatterns as capture_urlpatterns
from sessions.notes.urls import urlpatterns as notes_urlpatterns

app_name = "sessions"

urlpatterns = notes_urlpatterns + capture_urlpatterns
