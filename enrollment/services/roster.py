"""Staff lists (增员花名册) for add-persons applications: read, validate, keep, apply.

Reading
- CSV in UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (what Excel and WPS save on a
  Chinese Windows): tried in that order; GB18030 is a superset of GBK and GB2312.
- XLSX: the first sheet, read with openpyxl in read-only mode (streamed). Cells holding a formula
  are refused, not read for their cached value: a file written by a program often has no cached
  value at all, a cached value can be stale, and an identity number that a formula builds is not
  what the employer typed and sealed. The clerk asks for "paste values" instead.
- Before anything is read: a file over settings.UPLOAD_MAX_BYTES is refused (TooLarge), and an
  XLSX whose parts would unpack to more than XLSX_MAX_UNPACKED bytes (a zip bomb) is refused.
- Reading stops after BLANK_RUN blank rows in a row (a sheet formatted down to row 1,048,576) and
  refuses a file with more than MAX_ROWS rows of data.

Validation reports every error at once as {row, column, message} (the row as the spreadsheet
numbers it, the column as the file names it). The upload and its original file (with SHA-256)
are kept whether or not the file is valid; only a valid upload's entries are stored, and they
reach the register only when the application is registered (apply_roster, set-based and atomic).
"""

import codecs
import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import record, record_many
from core.errors import InvalidTransition, TooLarge, ValidationFailed
from core.masking import mask_id_number
from core.workflow import begin_edit, finish

from ..identity import IdentityError, birth_date_of, check_id_number, gender_of, pinyin_initials
from ..models import Application, InsuranceType, Person, PersonStatus, RosterEntry, RosterUpload, StatusChange

MAX_ROWS = 10_000
BLANK_RUN = 100
MAX_COLUMNS = 30
HEADER_SEARCH = 5  # the header may follow a title row or two
XLSX_MAX_UNPACKED = 256 * 1024 * 1024
NAME_MAX = 50
PHONE = re.compile(r"^[0-9+()\- ]{5,30}$")

# Header names accepted for each column (compared without spaces, underscores and case).
HEADERS = {
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证", "idnumber", "identitynumber", "idno",
                  "id", "idcard"],
    "name": ["姓名", "名字", "name", "fullname"],
    "phone": ["电话", "联系电话", "手机", "手机号", "手机号码", "phone", "mobile", "telephone", "tel"],
}


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


def _norm(header) -> str:
    return re.sub(r"[\s_\-]", "", str(header or "")).lower()


_ALIASES = {_norm(alias): key for key, aliases in HEADERS.items() for alias in aliases}


# -- reading ---------------------------------------------------------------------------------

def decode_csv(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in; raises ValueError when none fits."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return data.decode("gb18030"), "gb18030"


def _csv_rows(data: bytes, parsed: Parsed):
    try:
        text, parsed.encoding = decode_csv(data)
    except UnicodeDecodeError:
        parsed.error(None, "", _("The file is neither UTF-8 nor GB18030 text: save it as CSV or XLSX again."))
        return
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
        yield number, [c.strip() for c in row[:MAX_COLUMNS]]


def _xlsx_rows(data: bytes, parsed: Parsed):
    import openpyxl

    parsed.encoding = "xlsx"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        parsed.error(None, "", _("The file is not a valid XLSX workbook."))
        return
    if unpacked > XLSX_MAX_UNPACKED:
        parsed.error(None, "", _("The workbook would unpack to %(mb)d MB, more than the %(limit)d MB allowed: it is "
                                 "refused unread.") % {"mb": unpacked // 2**20, "limit": XLSX_MAX_UNPACKED // 2**20})
        return
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged file; the clerk needs one message
        parsed.error(None, "", _("The workbook could not be opened: save it again as XLSX."))
        return
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS), start=1):
            values = []
            for index, cell in enumerate(cells):
                if getattr(cell, "data_type", None) == "f":
                    parsed.error(number, _column_name(parsed, index), _(
                        "The cell holds a formula (%(f)s): copy the column and paste it as values only.")
                        % {"f": str(cell.value)[:40]})
                    values.append(FORMULA)
                else:
                    values.append(cell.value)
            yield number, values
    finally:
        workbook.close()


def _column_name(parsed: Parsed, index: int) -> str:
    for _key, (i, header) in parsed.columns.items():
        if i == index:
            return header
    return openpyxl_column_letter(index)


def openpyxl_column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _has_formula(values: dict) -> bool:
    return any(v is FORMULA for v in values.values())


def read_roster(data: bytes, filename: str) -> Parsed:
    """Read the header and data rows of a CSV or XLSX staff list (no database access)."""
    parsed = Parsed()
    is_xlsx = PurePath(filename).suffix.lower() in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04"
    rows = _xlsx_rows(data, parsed) if is_xlsx else _csv_rows(data, parsed)
    blank_run, first_try = 0, None
    for number, values in rows:
        if not parsed.columns:
            if _blank(values):
                continue
            missing = _read_header(values, parsed)
            first_try = first_try or (number, missing)
            if missing and number - first_try[0] >= HEADER_SEARCH - 1:
                break
            continue
        if _blank(values):
            blank_run += 1
            if blank_run >= BLANK_RUN:
                parsed.note = _("Reading stopped at row %(row)d after %(n)d blank rows; anything further down was "
                                "not read.") % {"row": number, "n": BLANK_RUN}
                break
            continue
        blank_run = 0
        if len(parsed.rows) >= MAX_ROWS:
            parsed.error(number, "", _("The file has more than %(n)d rows of staff: split it into several "
                                       "applications.") % {"n": MAX_ROWS})
            break
        parsed.rows.append((number, {key: values[i] if i < len(values) else None
                                     for key, (i, _header) in parsed.columns.items()}))
    if not parsed.columns and first_try is not None:
        row, missing = first_try
        for key in missing:
            parsed.error(row, "", _("No column “%(name)s” in the header row (accepted: %(aliases)s).")
                         % {"name": HEADERS[key][0], "aliases": "、".join(HEADERS[key][:4])})
    elif not parsed.columns and not parsed.errors:
        parsed.error(None, "", _("The file is empty."))
    elif parsed.columns and not parsed.rows and not parsed.errors:
        parsed.error(None, "", _("The file has a header but no staff rows."))
    return parsed


def _read_header(values, parsed: Parsed) -> list[str]:
    """Take the row as the header if it names the required columns; return those it lacks."""
    found = {}
    for index, value in enumerate(values):
        key = _ALIASES.get(_norm(value)) if isinstance(value, str) else None
        if key and key not in found:
            found[key] = (index, value.strip())
    missing = [key for key in ("id_number", "name") if key not in found]
    if not missing:
        parsed.columns = found
    return missing


# -- validation ------------------------------------------------------------------------------

@dataclass
class Row:
    row: int
    id_number: str
    name: str
    phone: str


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


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
        if isinstance(raw_id, (int, float)):
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
        if phone and not PHONE.match(phone):
            parsed.error(number, header.get("phone", ""), _("A phone number has digits, spaces, +, - and brackets "
                                                            "only."))
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
    from .applications.common import require_clerk, require_editable

    require_clerk(actor)
    if application.kind != Application.Kind.ADD_PERSONS:
        raise InvalidTransition(_("Only an add-persons application has a staff list."))
    require_editable(application)


def upload_roster(*, actor, application: Application, file, expected_version: int | None = None) -> RosterUpload:
    """Read, validate and keep a staff list; it becomes the application's current roster.

    Returns the upload: check `is_valid` and `errors`. The upload is kept (and committed) even
    when it is not valid; a file over the size limit is refused before it is read, with an
    audit entry saying so.
    """
    from .applications.common import today

    _check_can_upload(actor, application)
    name = PurePath(getattr(file, "name", "") or "roster").name[:255]
    size = getattr(file, "size", None)
    limit = settings.UPLOAD_MAX_BYTES
    if size is None or size > limit:
        with transaction.atomic():
            record(actor, "enrollment.application.roster_refused", application, None,
                   {"file": name, "size": size, "limit": limit})
        raise TooLarge(_("The file “%(name)s” is %(size)s MB; the limit is %(limit)d MB. Split it and upload the "
                         "parts in separate applications.") % {
            "name": name, "size": f"{(size or 0) / 2**20:.1f}", "limit": limit // 2**20})
    data = file.read(limit + 1)
    digest = hashlib.sha256(data).hexdigest()
    parsed = read_roster(data, name)
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
