"""A Word file of a provincial plan (Quảng Trị, Số: 245/KH-UBND) whose body numbers tasks 1–2 and whose
appendix table ("PHỤ LỤC: DANH MỤC NHIỆM VỤ") numbers again from 1, built with python-docx: the file the
corrections tests import, in the engine and in the page."""

from __future__ import annotations

import io

CENTRE = "Trung tâm Phục vụ hành chính công tỉnh"  # no unit of the QT registry: proposed under the issuer

BODY = ["ỦY BAN NHÂN DÂN", "TỈNH QUẢNG TRỊ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "Số: 245/KH-UBND", "Quảng Trị, ngày 10 tháng 7 năm 2025", "KẾ HOẠCH",
        "Đẩy mạnh phân cấp, phân quyền năm 2025", "I. MỤC ĐÍCH, YÊU CẦU", "Bảo đảm tiến độ.",
        "II. NHIỆM VỤ",
        "1. Rà soát thủ tục hành chính được phân cấp",
        "- Cơ quan chủ trì: Sở Tư pháp",
        "- Cơ quan phối hợp: Sở Nội vụ",
        "- Thời gian hoàn thành: Trước ngày 30/9/2025",
        "2. Tập huấn cán bộ cấp xã",
        "- Cơ quan chủ trì: Sở Nội vụ",
        "- Thời gian hoàn thành: Quý IV năm 2025",
        "Các nhiệm vụ khác tại Phụ lục kèm theo.",
        "III. TỔ CHỨC THỰC HIỆN", "Sở Nội vụ theo dõi, đôn đốc việc thực hiện Kế hoạch này.",
        "Nơi nhận:", "- Các Sở, ngành;", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn A",
        "PHỤ LỤC: DANH MỤC NHIỆM VỤ"]
ROWS = [("STT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Sản phẩm"),
        ("1", "Số hóa hồ sơ thủ tục được phân cấp", "Văn phòng UBND tỉnh", "Sở Khoa học và Công nghệ",
         "Trước ngày 31/10/2025", "Dữ liệu"),
        ("2", "Công khai thủ tục tại bộ phận một cửa", CENTRE, "Sở Nội vụ", "Trong năm 2025", "Danh mục"),
        ("3", "Báo cáo kết quả phân cấp", "Sở Tài chính", "Các Sở, ngành", "Trước ngày 15/12/2025", "Báo cáo")]


def quang_tri_docx() -> bytes:
    from docx import Document

    doc = Document()
    for line in BODY:
        doc.add_paragraph(line)
    table = doc.add_table(rows=len(ROWS), cols=len(ROWS[0]))
    for r, values in enumerate(ROWS):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
