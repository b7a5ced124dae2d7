"""Production's static files storage keeps each URL it has worked out (the manifest does not
change while a process runs): the same URL the manifest storage gives, worked out once; a
name missing from the manifest still raises, and is not kept."""

from __future__ import annotations

import json

import pytest

from ipnb_notes.staticfiles import MAX_KEPT, KeptURLStaticFilesStorage


@pytest.fixture
def storage(tmp_path):
    manifest = {
        "version": "1.1",
        "hash": "h",
        "paths": {"css/app.css": "css/app.1a2b.css"},
    }
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return KeptURLStaticFilesStorage(location=str(tmp_path), base_url="/static/")


def test_a_url_is_the_manifests_and_is_worked_out_once(storage, monkeypatch):
    assert storage.url("css/app.css") == "/static/css/app.1a2b.css"

    def no_second_look(*args, **kwargs):
        raise AssertionError("the manifest was consulted again")

    monkeypatch.setattr(storage, "stored_name", no_second_look)
    assert storage.url("css/app.css") == "/static/css/app.1a2b.css"


def test_a_name_missing_from_the_manifest_raises_and_is_not_kept(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")
    assert "css/missing.css" not in storage._kept


def test_the_kept_urls_are_bounded(storage):
    storage.hashed_files.update(
        {f"x/{i}.css": f"x/{i}.h.css" for i in range(MAX_KEPT + 5)}
    )
    for i in range(MAX_KEPT + 5):
        assert storage.url(f"x/{i}.css") == f"/static/x/{i}.h.css"
    assert len(storage._kept) == MAX_KEPT
