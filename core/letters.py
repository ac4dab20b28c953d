"""The base of every letter the office prints (reportlab).

A subclass gives the letter's kind, title and body; the base lays out an A4 page with the
office's name, the document number, page numbers and a footer with the verification code and
a QR code pointing at /verify/<code>. issue() numbers the letter, renders it, keeps the PDF
with its SHA-256 in a LetterRecord and writes the audit entry, in one transaction.

Rendering takes a while (tens of milliseconds to seconds), so it must not happen under the audit
chain's lock, which a transaction's first audit entry takes and holds until the commit: every
audited write of the office would wait for the PDF. A service that changes state and issues a
letter in one transaction therefore prepares the letter first (number from its counter, then
render: prepare()), then makes its change (audited), then keeps the letter (keep(): the short
INSERT and audit entry). prepare() refuses to run once the chain's lock is held.

Chinese needs an embedded TrueType font (settings.LETTER_FONT_PATH, Debian's wqy-zenhei by
default): reportlab's built-in CID font is not embedded and shows as boxes on machines
without a CJK font.
"""

import hashlib
import io
import secrets
from functools import cache
from xml.sax.saxutils import escape as esc  # noqa: F401  (re-exported: escape user text in Paragraphs)

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .audit import chain_lock_taken, record
from .masking import mask_name
from .models import LetterRecord
from .numbers import next_number

FONT = "LetterFont"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper


@cache
def font_name() -> str:
    try:
        pdfmetrics.registerFont(TTFont(FONT, settings.LETTER_FONT_PATH, subfontIndex=0))
        return FONT
    except Exception:  # the system check core.W001 has already said why
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        return "STSong-Light"


def styles() -> dict[str, ParagraphStyle]:
    f = font_name()
    return {
        "title": ParagraphStyle("title", fontName=f, fontSize=16, leading=22, alignment=1, spaceAfter=4 * mm),
        "body": ParagraphStyle("body", fontName=f, fontSize=10.5, leading=16, wordWrap="CJK"),
        "small": ParagraphStyle("small", fontName=f, fontSize=8.5, leading=12, wordWrap="CJK"),
        "heading": ParagraphStyle("heading", fontName=f, fontSize=12, leading=18, spaceBefore=3 * mm),
    }


def table(rows, col_widths=None, header=True) -> Table:
    """A ruled table in the letter font; cells may be strings or flowables."""
    s = styles()["small"]
    data = [[c if not isinstance(c, str) else Paragraph(c, s) for c in row] for row in rows]
    t = Table(data, colWidths=col_widths, repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), font_name()),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")))
    t.setStyle(TableStyle(style))
    return t


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


class _NumberedCanvas(pdfcanvas.Canvas):
    """Draws 'page n of m' once the number of pages is known."""

    def __init__(self, *args, footer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []
        self._footer = footer

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._footer(self, total)
            super().showPage()
        super().save()


class Letter:
    """Subclass and give `kind`, `number_prefix`, `title()` and `body()`."""

    kind = "letter"
    number_prefix = "DOC"

    def __init__(self, *, subject_name: str = ""):
        self.subject_name = subject_name
        self.number = ""
        self.verification_code = ""
        self.issued_on = timezone.localdate()
        self.pdf: bytes | None = None
        self._kept_title = ""

    def title(self) -> str:
        raise NotImplementedError

    def body(self) -> list:
        raise NotImplementedError

    # -- rendering ---------------------------------------------------------------------------
    def render(self) -> bytes:
        """The PDF, in the office's language (settings.LANGUAGE_CODE) whatever the clerk's screen shows:
        a letter goes to the public."""
        with translation.override(settings.LETTER_LANGUAGE):
            return self._render()

    def _render(self) -> bytes:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=28 * mm,
            bottomMargin=30 * mm, title=self.title(), author=settings.OFFICE_NAME,
        )
        s = styles()
        story = [Paragraph(self.title(), s["title"]), *self.body()]
        doc.build(story, canvasmaker=lambda *a, **k: _NumberedCanvas(*a, footer=self._decorate, **k))
        return buffer.getvalue()

    def _decorate(self, canvas, total_pages: int) -> None:
        f = font_name()
        width, height = A4
        canvas.saveState()
        canvas.setFont(f, 11)
        canvas.drawString(20 * mm, height - 15 * mm, settings.OFFICE_NAME)
        canvas.setFont(f, 9)
        canvas.drawRightString(width - 20 * mm, height - 15 * mm, _("No. %(number)s") % {"number": self.number})
        canvas.setStrokeColor(colors.grey)
        canvas.line(20 * mm, height - 18 * mm, width - 20 * mm, height - 18 * mm)
        canvas.line(20 * mm, 25 * mm, width - 20 * mm, 25 * mm)
        url = f"{settings.SITE_URL.rstrip('/')}/verify/{self.verification_code}"
        canvas.setFont(f, 8)
        canvas.drawString(20 * mm, 20 * mm, _("Verification code: %(code)s") % {"code": self.verification_code})
        canvas.drawString(20 * mm, 16 * mm, _("Check that this letter is genuine at %(url)s") % {"url": url})
        canvas.drawRightString(
            width - 42 * mm, 20 * mm,
            _("Page %(page)d of %(total)d") % {"page": canvas.getPageNumber(), "total": total_pages},
        )
        qr = QrCodeWidget(url)
        x0, y0, x1, y1 = qr.getBounds()
        size = 18 * mm
        drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
        drawing.add(qr)
        renderPDF.draw(drawing, canvas, width - 20 * mm - size, 5 * mm)
        canvas.restoreState()

    # -- issuing -----------------------------------------------------------------------------
    def prepare(self) -> bytes:
        """Number and render the letter, before the transaction's first audit entry; returns the PDF.

        The number comes from its counter inside the caller's transaction, so a rollback gives it
        back (numbers stay gap-free); the counter's row, not the audit chain, is what a second
        letter of the same series waits for meanwhile.
        """
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("Letter.prepare must run inside the transaction that keeps the letter")
        if chain_lock_taken():
            raise RuntimeError("Letter.prepare runs before the transaction's first audit entry: rendering under "
                               "the audit chain's lock would hold up every audited write")
        with translation.override(settings.LETTER_LANGUAGE):
            self.number = next_number(self.number_prefix, self.issued_on.year)
            self.verification_code = new_verification_code()
            self.pdf = self.render()
            self._kept_title = self.title()
        return self.pdf

    def keep(self, *, actor, obj=None) -> LetterRecord:
        """Keep the prepared PDF with its SHA-256 and write the audit entry (the short end of issuing)."""
        if self.pdf is None:
            raise RuntimeError("Letter.keep needs Letter.prepare first")
        digest = hashlib.sha256(self.pdf).hexdigest()
        object_type, object_id = ("", "") if obj is None else (obj._meta.label_lower, str(obj.pk))
        letter = LetterRecord(
            number=self.number, kind=self.kind, title=self._kept_title, verification_code=self.verification_code,
            sha256=digest, subject_name=self.subject_name, object_type=object_type, object_id=object_id,
            issued_by=actor,
        )
        letter.pdf.save(f"{self.number}.pdf", ContentFile(self.pdf), save=False)
        letter.save()
        record(actor, "core.letter.issued", letter, None,
               {"number": letter.number, "kind": letter.kind, "sha256": digest, "object": f"{object_type}:{object_id}"})
        return letter

    def issue(self, *, actor, obj=None) -> LetterRecord:
        """Number, render and keep the letter; audited. Runs in (or opens) a transaction, which must not
        have written an audit entry yet (see prepare)."""
        with transaction.atomic():
            self.prepare()
            return self.keep(actor=actor, obj=obj)


def verify(code: str) -> dict | None:
    """What the public verification page may show about a letter: type, date, masked name."""
    letter = LetterRecord.objects.filter(verification_code=code.strip().upper()).first()
    if letter is None:
        return None
    return {
        "title": letter.title,
        "number": letter.number,
        "issued_on": timezone.localdate(letter.issued_at),
        "subject": mask_name(letter.subject_name),
    }


class TextLetter(Letter):
    """A plain letter of paragraphs, for simple notices and for tests."""

    def __init__(self, *, kind: str, prefix: str, title: str, paragraphs: list[str], subject_name: str = ""):
        super().__init__(subject_name=subject_name)
        self.kind, self.number_prefix, self._title, self._paragraphs = kind, prefix, title, paragraphs

    def title(self) -> str:
        return self._title

    def body(self) -> list:
        s = styles()["body"]
        out = []
        for p in self._paragraphs:
            out += [Paragraph(p, s), Spacer(1, 3 * mm)]
        return out
