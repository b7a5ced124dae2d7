"""The released documents as PDF (fpdf2). Every piece of text is drawn as text: a PDF built
this way carries no markup, links or scripts from what users typed."""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF

# Control characters other than newline; tabs become spaces.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
# A word longer than this is broken so that a line can always be drawn.
_LONG_WORD = re.compile(r"(\S{60})(?=\S)")
FONT = "Body"
# fpdf2 would log the characters a font lacks (clinical text) and fontTools logs every font
# subset at INFO: neither belongs in the application's logs (AUD-09).
logging.getLogger("fpdf").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)
# A Unicode TrueType font (Debian's fonts-dejavu-core); without it the PDF uses a core font
# and transliterates to Latin-1. Settings may point DISCLOSURE_PDF_FONT elsewhere.
DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@lru_cache(maxsize=2)
def _font_path(configured: str) -> Path | None:
    path = Path(configured)
    return path if configured and path.is_file() else None


def _unicode_font() -> Path | None:
    return _font_path(getattr(settings, "DISCLOSURE_PDF_FONT", DEFAULT_FONT))


class _Document(FPDF):
    def __init__(self, title: str, reference: str):
        super().__init__(format="Letter")
        self.title_text = title
        self.reference = reference
        self.unicode = _unicode_font() is not None
        if self.unicode:
            self.add_font(FONT, fname=str(_unicode_font()))
            self.family = FONT
            self.glyphs = set(self.fonts[FONT.lower()].cmap)
        else:
            self.family = "Helvetica"
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(title)
        self.set_creator("ipnb-notes")
        self.alias_nb_pages()
        self.add_page()

    def clean(self, text) -> str:
        text = _CONTROL.sub("", str(text or "").replace("\t", "    ").replace("\r", ""))
        text = _LONG_WORD.sub(r"\1 ", text)
        if self.unicode:
            # A character the font cannot draw is shown as "?" (never dropped in silence).
            text = "".join(
                c if c == "\n" or ord(c) in self.glyphs else "?" for c in text
            )
        else:
            # The core fonts know Latin-1 only: decompose accents, keep what fits, mark
            # the rest with "?" rather than fail.
            text = unicodedata.normalize("NFKD", text)
            text = "".join(c for c in text if not unicodedata.combining(c))
            text = text.encode("latin-1", "replace").decode("latin-1")
        return text

    def footer(self):
        self.set_y(-12)
        self.set_font(self.family, size=8)
        self.set_text_color(90)
        self.cell(
            0,
            6,
            self.clean(
                f"{self.title_text} · reference {self.reference} · page {self.page_no()}/{{nb}}"
            ),
            align="C",
        )
        self.set_text_color(0)

    def heading(self, text: str, size: int = 14) -> None:
        self.ln(2)
        self.set_font(self.family, size=size)
        self.multi_cell(0, size * 0.5, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, text: str, size: int = 10) -> None:
        self.set_font(self.family, size=size)
        self.multi_cell(0, 5, self.clean(text), new_x="LMARGIN", new_y="NEXT")

    def field(self, label: str, value) -> None:
        self.set_font(self.family, size=10)
        self.set_text_color(70)
        self.multi_cell(0, 5, self.clean(label), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.multi_cell(0, 5, self.clean(value or "—"), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def rule(self) -> None:
        self.ln(1)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)


def _when(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M %Z}" if value else "—"


def _day(value) -> str:
    return f"{value:%Y-%m-%d}" if value else "—"


def _cover(doc: _Document, *, client, release) -> None:
    doc.field("Client", client.legal_name)
    if client.preferred_name:
        doc.field("Preferred name", client.preferred_name)
    doc.field("Date of birth", _day(client.date_of_birth))
    doc.field("Client reference", str(client.code))
    doc.rule()
    doc.field("Released to", release["recipient"])
    doc.field("Purpose", release["purpose_label"])
    doc.field("Description", release["description"])
    doc.field("Released by", release["by"])
    doc.field("Released at", _when(release["at"]))
    if release.get("authorization"):
        doc.field("Under the client's authorization", release["authorization"])
    doc.rule()


def record_pdf(
    *, client, release: dict, goals, notes, sections, labels, measures=()
) -> bytes:
    """The client record: identity, treatment goals, outcome measures
    (measures.export.record_entries), author-signed progress notes with their signatures and
    addenda. Psychotherapy notes and drafts are never part of it."""
    doc = _Document("Release of records", release["reference"])
    doc.heading("Release of records", 16)
    _cover(doc, client=client, release=release)
    period = release.get("period")
    doc.paragraph(
        "This document contains the client's record as kept by the practice"
        + (f", sessions {period}" if period else "")
        + ". It does not contain psychotherapy notes (45 CFR 164.501), which are kept apart "
        "from the record. Its SHA-256 digest is recorded in the client's accounting of "
        "disclosures so the recipient can verify it was not altered.",
        size=9,
    )
    doc.heading("Treatment goals")
    if not goals:
        doc.paragraph("None recorded.")
    for goal in goals:
        target = f", target {_day(goal.target_date)}" if goal.target_date else ""
        doc.paragraph(f"• {goal.text} ({goal.get_status_display()}{target})")
    doc.heading("Outcome measures")
    if not measures:
        doc.paragraph("None completed in this period.")
    for entry in measures:
        doc.field(
            f"{_when(entry.completed_at)} · {entry.title}",
            f"{entry.how}. {entry.result}."
            + (f" {entry.answers}." if entry.answers else ""),
        )
    for attribution in dict.fromkeys(e.attribution for e in measures if e.attribution):
        doc.paragraph(attribution, size=8)
    doc.heading("Progress notes")
    if not notes:
        doc.paragraph("No signed progress note in this period.")
    for note in notes:
        doc.rule()
        session = note.session
        doc.heading(
            f"Session of {_when(session.starts_at)} · {note.get_format_display()} note",
            12,
        )
        doc.paragraph(
            f"{session.get_modality_display()}, {session.get_setting_display()}, "
            f"{session.duration_minutes} minutes · author {note.author} · "
            f"{note.get_status_display()}",
            size=9,
        )
        for key in sections.get(note.format, []):
            doc.field(labels.get(key, key), (note.sections or {}).get(key, ""))
        doc.field("Plan", note.plan)
        doc.field(
            "Risk",
            f"Suicidal ideation: {note.get_risk_suicidal_ideation_display()}; "
            f"self-harm: {note.get_risk_self_harm_display()}; "
            f"harm to others: {note.get_risk_harm_to_others_display()}",
        )
        if note.risk_details:
            doc.field("Risk plan and follow-up", note.risk_details)
        goals_addressed = [g.text for g in note.goals_addressed.all()]
        if goals_addressed:
            doc.field("Goals addressed", "; ".join(goals_addressed))
        for signature in note.signatures.all():
            doc.paragraph(
                f"{signature.get_kind_display()}: {signature.signer_name}, "
                f"{_when(signature.at)} · content hash {signature.content_hash}",
                size=8,
            )
        for addendum in note.addenda.all():
            doc.field(
                f"Addendum signed by {addendum.signer_name}, {_when(addendum.signed_at)}",
                addendum.text,
            )
    return bytes(doc.output())


def process_note_pdf(*, client, release: dict, pnote) -> bytes:
    """One psychotherapy note, released under the client's specific authorization."""
    doc = _Document("Release of a psychotherapy note", release["reference"])
    doc.heading("Release of a psychotherapy note", 16)
    _cover(doc, client=client, release=release)
    doc.paragraph(
        "Psychotherapy note disclosed under the client's written authorization "
        "(45 CFR 164.508(a)(2)). It is not part of the client record and may not be "
        "redisclosed without a new authorization.",
        size=9,
    )
    doc.heading(f"Session of {_when(pnote.session.starts_at)}", 12)
    doc.paragraph(
        f"Written by {pnote.author}; last saved {_when(pnote.updated_at)}.", 9
    )
    doc.rule()
    doc.paragraph(pnote.text or "(empty)")
    return bytes(doc.output())
