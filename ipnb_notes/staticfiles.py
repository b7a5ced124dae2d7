"""Static files in production: WhiteNoise's compressed, hashed files, each URL worked out once
per process.

Every page prints five static URLs (styles, scripts, htmx); the manifest storage works each
out again on every request (name cleaning, a manifest look-up, quoting, joining: about 35 µs
each). The manifest is read when the storage is made and does not change while the process
runs (a deployment starts new processes), so a URL, once worked out, is kept. Only URLs are
kept, for at most MAX_KEPT names: a name missing from the manifest raises as before and is
not kept.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage

MAX_KEPT = 512


class KeptURLStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._kept: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        try:
            return self._kept[name]
        except KeyError:
            url = super().url(name)
            if len(self._kept) < MAX_KEPT:
                self._kept[name] = url
            return url
