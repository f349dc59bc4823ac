"""A plan's file as text, shared by the command line and the import page (issue 14): plain text
(UTF-8, .txt/.md), Word (.docx: paragraphs one a line and tables as pipe rows, in document order,
with python-docx) and PDF with a text layer (.pdf, with pypdf). A PDF without text (a scan) or a
file that cannot be read is refused with a clear message; nothing is kept."""

from __future__ import annotations

import io
from pathlib import PurePath

from phancap.engine.errors import Refusal

KINDS = (".txt", ".md", ".docx", ".pdf")


class UnreadableFile(Refusal):
    """A plan file that cannot be read as text. Rule request (HTTP 422)."""

    def __init__(self, message_vi: str, message_en: str, **extra: object) -> None:
        super().__init__("request", message_vi, message_en, extra=dict(extra))


def plan_file_text(data: bytes, filename: str) -> str:
    """The text of a plan file, by its name's extension (anything else is read as UTF-8 text)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".docx" or data[:2] == b"PK" and suffix not in (".txt", ".md"):
        return docx_text(data, filename)
    if suffix == ".pdf" or data[:5] == b"%PDF-":
        return pdf_text(data, filename)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"Tệp {filename} phải là văn bản UTF-8 (.txt, .md), Word (.docx) hoặc PDF (.pdf)",
                             f"{filename}: not valid utf-8 at byte {exc.start}; the file must be UTF-8 text "
                             "(.txt, .md), Word (.docx) or PDF (.pdf)", file=filename) from None


def docx_text(data: bytes, filename: str = "plan.docx") -> str:
    """A Word document's paragraphs, one a line, and its tables as pipe rows, in document order."""
    import zipfile

    from docx import Document
    from docx.opc.exceptions import OpcError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
    except (ValueError, KeyError, zipfile.BadZipFile, OpcError):
        raise UnreadableFile(f"Không đọc được tệp Word {filename} (.docx)", f"cannot read the Word document {filename}",
                             file=filename) from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines += ["| " + " | ".join(" ".join(c.text.split()) for c in row.cells) + " |" for row in block.rows]
    return "\n".join(lines)


def pdf_text(data: bytes, filename: str = "plan.pdf") -> str:
    """A PDF's text layer, page by page (layout mode keeps the two-column closing apart). A PDF whose
    pages hold no text (a scan) is refused: it needs recognising (OCR) first."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = []
        for page in reader.pages:
            try:
                pages.append(page.extract_text(extraction_mode="layout"))
            except (ValueError, KeyError, TypeError):
                pages.append(page.extract_text())
    except (PdfReadError, ValueError, KeyError, OSError):
        raise UnreadableFile(f"Không đọc được tệp PDF {filename}", f"cannot read the PDF file {filename}",
                             file=filename) from None
    text = "\n".join(pages)
    if not text.strip():
        raise UnreadableFile(f"Tệp PDF {filename} không có lớp chữ (bản quét): hãy nhận dạng chữ (OCR) hoặc "
                             "dùng bản Word/văn bản", f"the PDF file {filename} has no text layer (a scan): "
                             "recognise its text (OCR) first or use the Word or text version", file=filename,
                             pages=len(reader.pages))
    return text
