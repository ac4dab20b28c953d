"""Building XLSX files by hand, part by part, for the tests of hostile and damaged workbooks.

Parts are given as bytes or as an iterable of byte chunks, streamed into the zip, so that a part
that unpacks to hundreds of MB never sits in memory."""

import io
import zipfile
from collections.abc import Iterable
from itertools import repeat

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b'</Types>')
PACKAGE_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode()
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/></Relationships>').encode()
# Cell format 1 shows a date (built-in format 14), 2 a Chinese date (31: yyyy"年"m"月"d"日").
STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}">'
    '<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
    '<xf numFmtId="31" applyNumberFormat="1"/></cellXfs></styleSheet>').encode()

Part = bytes | Iterable[bytes]


def sheet_xml(rows: Iterable[bytes | str]) -> Iterable[bytes]:
    """A worksheet around row elements given as XML text."""
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
    for row in rows:
        yield row.encode() if isinstance(row, str) else row
    yield b"</sheetData></worksheet>"


def shared_xml(strings: Iterable[str], unique_count: int | None = None) -> Iterable[bytes]:
    declared = f' uniqueCount="{unique_count}"' if unique_count is not None else ""
    yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"{declared}>'.encode()
    for text in strings:
        yield f"<si><t>{text}</t></si>".encode()
    yield b"</sst>"


def inline_row(number: int, *texts: str) -> str:
    cells = "".join(f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{t}</t></is></c>'
                    for i, t in enumerate(texts))
    return f'<row r="{number}">{cells}</row>'


def build(sheet: Part, shared: Part | None = None, *, styles: Part | None = STYLES,
          extra: dict[str, Part] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        parts = {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": PACKAGE_RELS, "xl/workbook.xml": WORKBOOK,
                 "xl/_rels/workbook.xml.rels": WORKBOOK_RELS, "xl/worksheets/sheet1.xml": sheet}
        if shared is not None:
            parts["xl/sharedStrings.xml"] = shared
        if styles is not None:
            parts["xl/styles.xml"] = styles
        parts.update(extra or {})
        for name, content in parts.items():
            with archive.open(name, "w", force_zip64=False) as member:
                for chunk in ([content] if isinstance(content, bytes) else content):
                    member.write(chunk)
    return buffer.getvalue()


def shared_strings_bomb(count: int = 12_000_000, *, declare: bool = True) -> bytes:
    """The issue's file: a few hundred KB that declares (or just holds) twelve million empty texts."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"'
    head += f' count="{count}" uniqueCount="{count}">' if declare else ">"
    block = b"<si><t></t></si>" * 10_000

    def chunks():
        yield head.encode()
        yield from repeat(block, count // 10_000)
        yield b"</sst>"

    return build(sheet_xml(['<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>']),
                 chunks())


def cells_bomb(cells: int = 20_000_000) -> bytes:
    """One row of empty cells, millions of them: small zipped, slow to walk."""
    block = b"<c/>" * 10_000
    return build(sheet_xml([b'<row r="1">', *repeat(block, cells // 10_000), b"</row>"]))


def broken_sheet() -> bytes:
    """The sheet's XML stops making sense at row 3."""
    return build(sheet_xml([inline_row(1, "身份证号", "姓名"), inline_row(2, "110105194912310021", "张三"),
                            '<row r="3"><c r="A3" t="inlineStr"><is><t>oops</is></c></row>']))
