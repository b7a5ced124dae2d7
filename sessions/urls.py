from __future__ import annotations

from sessions.capture.urls import urlpatterns as capture_urlpatterns
from sessions.notes.urls import urlpatterns as notes_urlpatterns
from sessions.scheduling.urls import urlpatterns as scheduling_urlpatterns

app_name = "sessions"

urlpatterns = notes_urlpatterns + capture_urlpatterns + scheduling_urlpatterns
