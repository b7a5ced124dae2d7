"""Sessions, progress notes, signing, co-signature, addenda, supervision comments, process notes.

Every state change writes an audit event (codes, statuses and field names only, never the
clinical text). Views authorize through ipnb_notes/access.py before calling these.

One module per feature; every public name is importable from here, which is how callers use
them (`from sessions.notes import services as services`).
"""

from __future__ import annotations

from sessions.notes.services.addenda import addendum_add
from sessions.notes.services.comments import (
    ANCHOR_MODELS,
    anchor_event,
    anchor_exists,
    anchor_label,
    attach_replies,
    comment_add,
    note_replies,
    open_threads_annotated,
    place_threads,
    section_keys,
    section_label,
    thread_reply,
    thread_resolve,
)
from sessions.notes.services.common import (
    NoteError,
    VersionConflict,
    addendum_attestation,
    author_attestation,
    cosign_attestation,
    local_date,
    signer_name,
)
from sessions.notes.services.content import (
    canonical_content,
    note_content_hash,
    note_has_content,
    note_snapshot,
)
from sessions.notes.services.drafts import last_signed_plan, note_open, note_save
from sessions.notes.services.home import HomeRow, home_context, late_after
from sessions.notes.services.process_notes import process_note_open, process_note_save
from sessions.notes.services.revisions import (
    revision_list,
    revision_rows,
    revisions_listed,
    snapshot_size,
)
from sessions.notes.services.signing import (
    cosignature_links,
    note_cosign,
    note_return,
    note_sign,
    requires_cosignature,
)

__all__ = [
    "ANCHOR_MODELS",
    "HomeRow",
    "NoteError",
    "VersionConflict",
    "addendum_add",
    "addendum_attestation",
    "anchor_event",
    "anchor_exists",
    "anchor_label",
    "attach_replies",
    "author_attestation",
    "canonical_content",
    "comment_add",
    "note_replies",
    "open_threads_annotated",
    "place_threads",
    "section_keys",
    "section_label",
    "thread_reply",
    "thread_resolve",
    "cosign_attestation",
    "home_context",
    "late_after",
    "last_signed_plan",
    "local_date",
    "note_content_hash",
    "note_cosign",
    "note_has_content",
    "note_open",
    "note_return",
    "note_save",
    "note_sign",
    "note_snapshot",
    "process_note_open",
    "process_note_save",
    "cosignature_links",
    "requires_cosignature",
    "revision_list",
    "revision_rows",
    "revisions_listed",
    "signer_name",
    "snapshot_size",
]
