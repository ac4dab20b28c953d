"""Staff lists (增员花名册) for add-persons applications: read, validate, keep, apply.

Reading is core.tabular's (shared with every upload):
- CSV in UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (what Excel and WPS save on a
  Chinese Windows); XLSX: the first sheet, streamed, its cells and texts counted before anything
  is expanded. Cells holding a formula are refused, not read for their cached value: a file
  written by a program often has no cached value at all, a cached value can be stale, and an
  identity number that a formula builds is not what the employer typed and sealed. The clerk
  asks for "paste values" instead.
- A file that cannot be read at all (over settings.UPLOAD_MAX_BYTES, damaged, in another
  encoding, holding a NUL byte or an over-long field, an XLSX that would unpack past
  XLSX_MAX_UNPACKED or holds more than XLSX_MAX_CELLS cells or XLSX_MAX_STRINGS texts) is
  refused with the reader's error (a 400 with its code, 413 when too large); the refusal is
  audited and nothing is kept.
- Reading stops after BLANK_RUN blank rows in a row (a sheet formatted down to row 1,048,576) and
  refuses a file with more than MAX_ROWS rows of data.

A kept file goes back to a user as it was uploaded only if the user may see identity numbers in
full (enrollment.view_full_id_number), and that download is audited (record_roster_download);
anyone else gets masked_roster(): the same rows with every identity number masked.

Validation reports every error at once as {row, column, message} (the row as the spreadsheet
numbers it, the column as the file names it). The upload and its original file (with SHA-256)
are kept whether or not the file is valid; only a valid upload's entries are stored, and they
reach the register only when the application is registered (apply_roster, set-based and atomic).
"""

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import record, record_many
from core.errors import InvalidTransition, TooLarge, UnreadableFile, ValidationFailed
from core.masking import mask_id_number
from core.tabular import CSV, XLSX, Column, Formula, Limits, MissingColumns, as_text, open_table
from core.workflow import begin_edit, finish

from ..identity import IdentityError, birth_date_of, check_id_number, check_phone, gender_of, pinyin_initials
from ..models import Application, InsuranceType, Person, PersonStatus, RosterEntry, RosterUpload, StatusChange

MAX_ROWS = 10_000
BLANK_RUN = 100
MAX_COLUMNS = 30
HEADER_SEARCH = 5  # the header may follow a title row or two
XLSX_MAX_UNPACKED = 256 * 1024 * 1024
XLSX_MAX_CELLS = 1_000_000  # cell elements parsed, empty ones too (the staff take 30,000)
XLSX_MAX_STRINGS = 500_000  # distinct texts in the workbook, every sheet's
NAME_MAX = 50

# Header names accepted for each column (compared without spaces, underscores and case).
HEADERS = {
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证", "idnumber", "identitynumber", "idno",
                  "id", "idcard"],
    "name": ["姓名", "名字", "name", "fullname"],
    "phone": ["电话", "联系电话", "手机", "手机号", "手机号码", "phone", "mobile", "telephone", "tel"],
}
COLUMNS = [Column(key, tuple(aliases), required=key != "phone") for key, aliases in HEADERS.items()]


FORMULA = object()  # stands for a refused formula cell (already reported)


@dataclass
class Parsed:
    """What was read from a file: the data rows, the errors so far, and how it was read."""

    encoding: str = ""
    columns: dict = field(default_factory=dict)  # key -> (index, header as written)
    rows: list = field(default_factory=list)     # (row number, {key: value})
    errors: list = field(default_factory=list)
    note: str = ""

    def error(self, row, column, message) -> None:
        self.errors.append({"row": row, "column": column, "message": str(message)})


# -- reading ---------------------------------------------------------------------------------

def limits() -> Limits:
    return Limits(max_bytes=settings.UPLOAD_MAX_BYTES, max_lines=10 * MAX_ROWS, max_columns=MAX_COLUMNS,
                  max_cells=XLSX_MAX_CELLS, max_shared_strings=XLSX_MAX_STRINGS, max_unpacked=XLSX_MAX_UNPACKED)


def read_roster(data: bytes, filename: str) -> Parsed:
    """Read the header and data rows of a CSV or XLSX staff list (no database access).

    Raises UnreadableFile or TooLarge for a file that cannot be read; a header without the
    required columns, a formula cell or too many rows are errors in the result."""
    parsed = Parsed()
    try:
        table = open_table(data, name=filename, columns=COLUMNS, limits=limits(), formats=(CSV, XLSX),
                           header_search=HEADER_SEARCH, stop_after_blank=BLANK_RUN)
    except MissingColumns as exc:
        parsed.encoding = exc.encoding
        for error in exc.errors:
            parsed.error(error["row"], error["column"], error["message"])
        return parsed
    parsed.encoding, parsed.columns = table.encoding, table.columns
    with table:
        for row in table.rows():
            if len(parsed.rows) >= MAX_ROWS:
                parsed.error(row.number, "", _("The file has more than %(n)d rows of staff: split it into several "
                                               "applications.") % {"n": MAX_ROWS})
                break
            values = {}
            for key, value in row.values.items():
                if isinstance(value, Formula):
                    parsed.error(row.number, table.header_of(key), _(
                        "The cell holds a formula (%(f)s): copy the column and paste it as values only.")
                        % {"f": value.text[:40]})
                    value = FORMULA
                values[key] = value
            parsed.rows.append((row.number, values))
    if table.stopped_at:
        parsed.note = _("Reading stopped at row %(row)d after %(n)d blank rows; anything further down was "
                        "not read.") % {"row": table.stopped_at, "n": BLANK_RUN}
    if not parsed.rows and not parsed.errors:
        parsed.error(None, "", _("The file has a header but no staff rows."))
    return parsed


def _has_formula(values: dict) -> bool:
    return any(v is FORMULA for v in values.values())


# Anything that may be an identity number (15 to 18 characters, digits and a last X), in any cell.
_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{14,17}[0-9Xx](?![0-9])")


def masked_roster(upload: RosterUpload) -> tuple[str, list[str], object]:
    """The kept file of a staff list with every identity number masked, for a user who may not see
    them in full: (format, header, rows) for core.exports, in the file's own format. The cells of
    the identity-number column are masked whatever they hold, and anything that looks like an
    identity number in any other cell too (a misnamed column); rows above the header are left out."""
    columns = [Column(c.key, c.aliases, required=False) for c in COLUMNS]
    with upload.file.open("rb") as f:
        data = f.read()
    table = open_table(data, name=upload.original_name, columns=columns, limits=limits(), formats=(CSV, XLSX),
                       header_search=HEADER_SEARCH, stop_after_blank=BLANK_RUN)
    id_column = table.columns.get("id_number", (None,))[0]

    def masked(index, value):
        text = as_text(value) if value is not None else ""
        if index == id_column and text:
            return mask_id_number(text.strip())
        return _ID_LIKE.sub(lambda m: mask_id_number(m.group(0)), text)

    header = [masked(None, h) for h in table.header_cells]
    rows = ([masked(i, v) for i, v in enumerate(row.cells)] for row in table.rows())
    return ("xlsx" if table.format == XLSX else "csv"), header, rows


def record_roster_download(*, actor, application: Application, upload: RosterUpload) -> None:
    """Note that `actor` took the original file, identity numbers in full (audited, as a reveal is)."""
    with transaction.atomic():
        record(actor, "enrollment.application.roster_downloaded", application, None,
               {"upload": upload.pk, "file": upload.original_name, "sha256": upload.sha256, "full_id_numbers": True})


# -- validation ------------------------------------------------------------------------------

@dataclass
class Row:
    row: int
    id_number: str
    name: str
    phone: str


def _text(value) -> str:
    return as_text(value)


def validate_rows(parsed: Parsed, *, today, application: Application | None = None) -> list[Row]:
    """Check every row; add errors to `parsed`; return the rows that passed. Two queries in all."""
    header = {key: h for key, (_i, h) in parsed.columns.items()}
    good: list[Row] = []
    seen: dict[str, int] = {}
    for number, values in parsed.rows:
        if _has_formula(values):
            continue  # already reported; the other cells are not worth checking until it is fixed
        row_ok = True
        raw_id = values.get("id_number")
        number_text = _text(raw_id)
        id_number = ""
        if isinstance(raw_id, (int, float, Decimal)):
            parsed.error(number, header["id_number"], _(
                "The identity number is stored as a number, which keeps only 15 digits: format the column as text "
                "and type the numbers again."))
            row_ok = False
        else:
            try:
                id_number = check_id_number(number_text)
            except IdentityError as exc:
                parsed.error(number, header["id_number"], exc)
                row_ok = False
        if id_number:
            if birth_date_of(id_number) > today:
                parsed.error(number, header["id_number"], _("The birth date in the number (%(d)s) is in the future.")
                             % {"d": birth_date_of(id_number).isoformat()})
                row_ok = False
            elif id_number in seen:
                parsed.error(number, header["id_number"], _("The same identity number as row %(row)d.")
                             % {"row": seen[id_number]})
                row_ok = False
            else:
                seen[id_number] = number
        name = _text(values.get("name"))
        if not name:
            parsed.error(number, header["name"], _("The name is empty."))
            row_ok = False
        elif any(ch.isdigit() for ch in name):
            parsed.error(number, header["name"], _("A name cannot contain digits."))
            row_ok = False
        elif len(name) > NAME_MAX:
            parsed.error(number, header["name"], _("The name is longer than %(n)d characters.") % {"n": NAME_MAX})
            row_ok = False
        phone = _text(values.get("phone"))
        if phone:
            try:
                phone = check_phone(phone)
            except IdentityError as exc:
                parsed.error(number, header.get("phone", ""), exc)
                row_ok = False
        if row_ok:
            good.append(Row(number, id_number, name, phone))
    _check_against_register(parsed, good, header["id_number"], application)
    parsed.errors.sort(key=lambda e: (e["row"] or 0, e["column"]))
    bad_rows = {e["row"] for e in parsed.errors}
    return [r for r in good if r.row not in bad_rows]


def _check_against_register(parsed: Parsed, rows: list[Row], column: str, application) -> None:
    numbers = [r.id_number for r in rows]
    registered = dict(Person.objects.filter(id_number__in=numbers).values_list("id_number", "status"))
    elsewhere = _in_other_open_applications(numbers, application)
    for r in rows:
        if r.id_number in registered:
            parsed.error(r.row, column, _("Already in the register (status: %(status)s).")
                         % {"status": PersonStatus(registered[r.id_number]).label})
        elif r.id_number in elsewhere:
            parsed.error(r.row, column, _("Already in open application %(number)s.")
                         % {"number": elsewhere[r.id_number]})


def _in_other_open_applications(numbers: list[str], application) -> dict[str, str]:
    """Identity numbers already on a current roster of another open application: number -> case number."""
    entries = RosterEntry.objects.filter(
        id_number__in=numbers, upload__is_current=True, upload__is_valid=True,
        upload__application__status__in=Application.OPEN_STATES)
    if application is not None:
        entries = entries.exclude(upload__application=application)
    return dict(entries.values_list("id_number", "upload__application__number"))


# -- the services ----------------------------------------------------------------------------

def _check_can_upload(actor, application: Application) -> None:
    from ..kinds import spec_for
    from .applications.common import require_clerk, require_editable

    require_clerk(actor)
    if not spec_for(application.kind).has_roster:
        raise InvalidTransition(_("Only an add-persons application has a staff list."))
    require_editable(application)


def _read_upload(actor, application: Application, file) -> tuple[str, bytes, str, Parsed]:
    """The file's name, bytes, SHA-256 and what was read from it. A file over the size limit is
    refused before it is read, one that cannot be read once it is found so: both audited."""
    name = PurePath(getattr(file, "name", "") or "roster").name[:255]
    size = getattr(file, "size", None)
    limit = settings.UPLOAD_MAX_BYTES
    if size is None or size > limit:
        _audit_refusal(actor, application, name, size, "too_large")
        raise TooLarge(_("The file “%(name)s” is %(size)s MB; the limit is %(limit)d MB. Split it and upload the "
                         "parts in separate applications.") % {
            "name": name, "size": f"{(size or 0) / 2**20:.1f}", "limit": limit // 2**20})
    data = file.read(limit + 1)
    try:
        parsed = read_roster(data, name)
    except (UnreadableFile, TooLarge) as exc:
        _audit_refusal(actor, application, name, len(data), exc.code)
        raise
    return name, data, hashlib.sha256(data).hexdigest(), parsed


def _audit_refusal(actor, application: Application, name: str, size, code: str) -> None:
    with transaction.atomic():
        record(actor, "enrollment.application.roster_refused", application, None,
               {"file": name, "size": size, "limit": settings.UPLOAD_MAX_BYTES, "code": code})


def upload_roster(*, actor, application: Application, file, expected_version: int | None = None) -> RosterUpload:
    """Read, validate and keep a staff list; it becomes the application's current roster.

    Returns the upload: check `is_valid` and `errors`. The upload is kept (and committed) even
    when it is not valid; a file that cannot be read (TooLarge, UnreadableFile) is refused and
    nothing kept but an audit entry saying so.
    """
    from .applications.common import today

    _check_can_upload(actor, application)
    name, data, digest, parsed = _read_upload(actor, application, file)
    rows = validate_rows(parsed, today=today(), application=application) if parsed.columns else []
    with transaction.atomic():
        move = begin_edit(application, actor=actor, expected_version=expected_version)
        locked = move.obj
        _check_can_upload(actor, locked)
        RosterUpload.objects.filter(application=locked, is_current=True).update(is_current=False)
        upload = RosterUpload(
            application=locked, original_name=name, sha256=digest, size=len(data), encoding=parsed.encoding,
            row_count=len(parsed.rows), errors=parsed.errors, error_count=len(parsed.errors),
            is_valid=not parsed.errors, note=parsed.note[:300], uploaded_by=actor, is_current=True)
        upload.file.save(f"{locked.number}-{digest[:12]}{PurePath(name).suffix.lower()[:8]}", ContentFile(data),
                         save=False)
        upload.save()
        if upload.is_valid:
            RosterEntry.objects.bulk_create([
                RosterEntry(upload=upload, line_no=r.row, id_number=r.id_number, name=r.name, phone=r.phone,
                            gender=gender_of(r.id_number), birth_date=birth_date_of(r.id_number)) for r in rows
            ], batch_size=2000)
        finish(move, action="enrollment.application.roster_uploaded", after={
            "upload": upload.pk, "file": name, "sha256": digest, "size": len(data), "encoding": parsed.encoding,
            "rows": upload.row_count, "errors": upload.error_count, "valid": upload.is_valid})
    return upload


def current_upload(application: Application) -> RosterUpload | None:
    return application.roster_uploads.filter(is_current=True).first()


def check_still_new(application: Application) -> None:
    """Refuse when a person on the roster entered the register since the upload."""
    upload = current_upload(application)
    if upload is None or not upload.is_valid:
        raise ValidationFailed(_("The application has no valid staff list."), code="roster_missing")
    entries = list(upload.entries.values_list("line_no", "id_number"))
    registered = set(Person.objects.filter(id_number__in=[n for _l, n in entries]).values_list("id_number",
                                                                                                 flat=True))
    errors = [{"row": line, "column": "id_number", "message": _(
        "%(id)s entered the register after the staff list was uploaded.") % {"id": mask_id_number(number)}}
        for line, number in entries if number in registered]
    if errors:
        raise ValidationFailed(_("Some persons on the staff list are already in the register."), errors=errors,
                               code="roster_conflict")


def apply_roster(*, actor, application: Application) -> int:
    """Put the roster's persons in the register: bulk inserts of persons, their first status and
    their audit entries, in the caller's transaction. Returns how many were added."""
    from .register import person_snapshot

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_roster runs inside the registration's transaction")
    check_still_new(application)
    upload = current_upload(application)
    status_date = application.effective_date
    persons = [
        Person(id_number=e.id_number, name=e.name, name_initials=pinyin_initials(e.name), gender=e.gender,
               birth_date=e.birth_date, insurance_type=InsuranceType.EMP, employer_code=application.employer.uscc,
               status=PersonStatus.ACTIVE, status_date=status_date, phone=e.phone)
        for e in upload.entries.all()
    ]
    Person.objects.bulk_create(persons, batch_size=2000)
    StatusChange.objects.bulk_create([
        StatusChange(person=p, status=p.status, status_date=status_date, source=StatusChange.Source.APPLICATION,
                     reference=application.number, recorded_by=actor) for p in persons], batch_size=2000)
    record_many(actor, "enrollment.person.registered", [
        (p, None, {**person_snapshot(p), "source": StatusChange.Source.APPLICATION, "reference": application.number})
        for p in persons])
    return len(persons)
