from __future__ import annotations

from sessions.urls_capture import urlpatterns as capture_urlpatterns
from sessions.urls_notes import urlpatterns as notes_urlpatterns

app_name = "sessions"

urlpatterns = notes_urlpatterns + capture_urlpatterns
