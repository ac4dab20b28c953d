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

What every letter to the public carries (the layout, in the base): a salutation to the addressee
("示范市华信科技有限公司："), the body, then the signature block (the office's name, the issue date
as 2026年12月25日, or 25 December 2026 in English, under the office's red seal, drawn), and the
service window's address, telephone and opening hours (settings.OFFICE_ADDRESS, OFFICE_PHONE,
OFFICE_HOURS). Times on a letter or report are office time (settings.TIME_ZONE): long_date() and
office_time() are how letters write dates and times.
"""

import hashlib
import io
import math
import secrets
from datetime import date, datetime
from functools import cache
from xml.sax.saxutils import escape as esc  # noqa: F401  (re-exported: escape user text in Paragraphs)

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import formats, timezone, translation
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
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .audit import chain_lock_taken, record
from .masking import mask_name
from .models import LetterRecord
from .numbers import next_number

FONT = "LetterFont"
SEAL_RED = colors.HexColor("#d7141a")
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


# -- how letters write dates, times and greetings -------------------------------------------------

# The letter date of each language: 2026年12月25日 (the form of official documents), 25 December 2026.
LONG_DATE_FORMATS = {"zh": "Y年n月j日", "en": "j F Y"}


def _language() -> str:
    return (translation.get_language() or settings.LETTER_LANGUAGE).split("-")[0].lower()


def long_date(value: date | datetime) -> str:
    """A date as a letter writes it, in the active language; a datetime counts in office time."""
    if isinstance(value, datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return formats.date_format(value, LONG_DATE_FORMATS.get(_language(), LONG_DATE_FORMATS["en"]))


def office_time(value: datetime | None = None) -> str:
    """A moment (now by default) as a letter or report prints it: the date and hh:mm in office time
    (settings.TIME_ZONE), never UTC."""
    value = value or timezone.now()
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{long_date(local)} {local:%H:%M}"


def salutation(name: str) -> str:
    """The greeting above the body: "欧阳春花：" in Chinese, "Dear 欧阳春花," in English."""
    return f"{name}：" if _language() == "zh" else f"Dear {name},"


def office_name() -> str:
    """The office as a letter signs: its Chinese name, or its English one on an English letter."""
    return settings.OFFICE_NAME if _language() == "zh" else settings.OFFICE_NAME_EN


def draw_seal(canvas, cx: float, cy: float, radius: float, name: str) -> None:
    """The office's seal: a red ring, its name along the top of the ring, a five-pointed star inside.

    Drawn, not an image. The name's glyphs carry an empty ActualText, so copying the letter's text
    (or pdftotext) does not pick up the seal's characters between the lines it stamps.
    """
    f = font_name()
    canvas.saveState()
    canvas.setStrokeColor(SEAL_RED)
    canvas.setFillColor(SEAL_RED)
    canvas.setStrokeAlpha(0.85)
    canvas.setFillAlpha(0.85)
    canvas.setLineWidth(radius * 0.06)
    canvas.circle(cx, cy, radius, stroke=1, fill=0)
    chars = [c for c in name if not c.isspace()][:24]
    size = min(radius * 0.36, radius * 4.2 / max(len(chars), 1))
    span = min(250.0, 19.0 * len(chars)) if len(chars) > 1 else 0.0
    text_radius = radius * 0.95 - size
    canvas.addLiteral("/Span <</ActualText ()>> BDC")
    for i, ch in enumerate(chars):
        angle = 90 + span / 2 - (span / (len(chars) - 1) * i if len(chars) > 1 else 0)
        rad = math.radians(angle)
        canvas.saveState()
        canvas.translate(cx + text_radius * math.cos(rad), cy + text_radius * math.sin(rad))
        canvas.rotate(angle - 90)
        canvas.setFont(f, size)
        canvas.drawCentredString(0, 0, ch)
        canvas.restoreState()
    canvas.addLiteral("EMC")
    outer, inner = radius * 0.3, radius * 0.3 * 0.382
    star = canvas.beginPath()
    for k in range(10):
        r = outer if k % 2 == 0 else inner
        a = math.radians(90 + k * 36)
        x, y = cx + r * math.cos(a), cy - radius * 0.05 + r * math.sin(a)
        star.moveTo(x, y) if k == 0 else star.lineTo(x, y)
    star.close()
    canvas.drawPath(star, stroke=0, fill=1)
    canvas.restoreState()


class SignatureBlock(Flowable):
    """The office's name and the issue date at the right, under the office's seal."""

    height_mm = 44

    def __init__(self, *, signer: str, issued: str, seal_name: str):
        super().__init__()
        self.signer, self.issued, self.seal_name = signer, issued, seal_name

    def wrap(self, available_width, available_height):
        self.width, self.height = available_width, self.height_mm * mm
        return self.width, self.height

    def draw(self):
        c, f, size = self.canv, font_name(), 10.5
        right = self.width - 8 * mm
        c.setFont(f, size)
        c.drawRightString(right, 24 * mm, self.signer)
        c.drawRightString(right, 17 * mm, self.issued)
        centre = right - max(c.stringWidth(self.signer, f, size), c.stringWidth(self.issued, f, size)) / 2
        draw_seal(c, centre, 22 * mm, 19 * mm, self.seal_name)


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
    # A letter to the public is signed and sealed and says where the service window is; a report
    # for the office's own staff may leave either out.
    signed = True
    shows_window = True

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

    def addressee(self) -> str:
        """Whom the letter greets above the body ("" for nobody)."""
        return ""

    def _salutation(self) -> list:
        name = self.addressee()
        return [Paragraph(esc(salutation(name)), styles()["body"]), Spacer(1, 2 * mm)] if name else []

    def _closing(self) -> list:
        """The signature block (office, issue date, seal) and the service window's address, phone and hours."""
        out = []
        if self.signed:
            out.append(KeepTogether([Spacer(1, 4 * mm), SignatureBlock(
                signer=office_name(), issued=long_date(self.issued_on), seal_name=settings.OFFICE_NAME)]))
        if self.shows_window:
            s = styles()["small"]
            out += [Spacer(1, 4 * mm), *[Paragraph(esc(line), s) for line in (
                _("Service window: %(address)s") % {"address": settings.OFFICE_ADDRESS},
                _("Telephone: %(phone)s") % {"phone": settings.OFFICE_PHONE},
                _("Opening hours: %(hours)s") % {"hours": settings.OFFICE_HOURS},
            )]]
        return out

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
        story = [Paragraph(self.title(), s["title"]), *self._salutation(), *self.body(), *self._closing()]
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

    def __init__(self, *, kind: str, prefix: str, title: str, paragraphs: list[str], subject_name: str = "",
                 addressee: str = ""):
        super().__init__(subject_name=subject_name)
        self.kind, self.number_prefix, self._title, self._paragraphs = kind, prefix, title, paragraphs
        self._addressee = addressee

    def title(self) -> str:
        return self._title

    def addressee(self) -> str:
        return self._addressee

    def body(self) -> list:
        s = styles()["body"]
        out = []
        for p in self._paragraphs:
            out += [Paragraph(p, s), Spacer(1, 3 * mm)]
        return out
