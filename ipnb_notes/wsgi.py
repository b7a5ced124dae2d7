from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipnb_notes.settings")
application = get_wsgi_application()

# Production serves only as the runtime database role (ipnb_notes/deployment.py).
from ipnb_notes.deployment import check_at_startup  # noqa: E402

check_at_startup()
