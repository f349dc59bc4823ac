# language: vi
Tính năng: Thời hạn, phân loại tiến độ, gia hạn và thu hồi nhiệm vụ
  Báo cáo chính thức xếp mỗi nhiệm vụ vào một loại: đã hoàn thành đúng hạn, đã hoàn thành quá hạn,
  chưa hoàn thành trong hạn, chưa hoàn thành quá hạn; nhiệm vụ không có thời hạn được đếm riêng.
  Tỷ lệ hoàn thành tính trên các nhiệm vụ đã đến hạn. Đơn vị chủ trì có thể đề nghị gia hạn, nêu lý
  do và ngày mới; UBND (cấp giao nhiệm vụ) quyết định. Thời hạn chỉ đổi khi được đồng ý, thời hạn cũ
  vẫn còn trong lịch sử. UBND có thể thu hồi nhiệm vụ: nhiệm vụ kết thúc nhưng không tính là hoàn thành.

  Bối cảnh:
    Cho các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày 01/4/2025
    Và những người dùng sau:
      | người dùng | đơn vị                | vai trò                             |
      | cv.sct     | Sở Công Thương        | Chuyên viên                         |
      | dm.stp     | Sở Tư pháp            | Đầu mối theo dõi; Thẩm định         |
      | dm.snv     | Sở Nội vụ             | Đầu mối theo dõi; Theo dõi, đôn đốc |
      | pd.ubnd    | UBND Thành phố Hà Nội | Người phê duyệt                     |

  Kịch bản: Tiến độ của Sở Công Thương ngày 20/4/2025 theo các loại của báo cáo chính thức
    Cho nhiệm vụ 2.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì đã được phê duyệt ngày 10/4/2025
    Và nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì đã được phê duyệt ngày 18/4/2025
    Khi đồng hồ chuyển sang ngày 20/4/2025
    Và hệ thống quét thời hạn
    Thì tiến độ kế hoạch "HN-2025" của "Sở Công Thương" ngày 20/4/2025 là:
      | phân loại                 | số nhiệm vụ | nhiệm vụ           |
      | Đã hoàn thành đúng hạn    | 1           | 2.1                |
      | Đã hoàn thành quá hạn     | 1           | 1.1                |
      | Chưa hoàn thành trong hạn | 4           | 1.3, 2.2, 2.3, 2.4 |
      | Chưa hoàn thành quá hạn   | 1           | 1.2                |
      | Không có thời hạn         | 1           | 2.5                |
      | Đã thu hồi                | 0           |                    |
    Và tỷ lệ hoàn thành của "Sở Công Thương" ngày 20/4/2025 là 2/3 nhiệm vụ đã đến hạn

  Kịch bản: Sở Công Thương đề nghị gia hạn nhiệm vụ 1.1, UBND Thành phố đồng ý: thời hạn mới, thời hạn cũ còn trong lịch sử
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và thời hạn ghi "Trước ngày 15/4/2025", ngày cuối cùng là 14/4/2025
    Khi đồng hồ chuyển sang ngày 10/4/2025
    Và "cv.sct" đề nghị gia hạn đến ngày 31/5/2025 với lý do "Chờ hướng dẫn của Bộ Tư pháp về danh mục văn bản"
    Thì thời hạn của nhiệm vụ vẫn là 14/4/2025, đang chờ gia hạn đến 31/5/2025
    Và "dm.stp" không được thực hiện "Đồng ý gia hạn"
    Và "pd.ubnd" được thực hiện "Đồng ý gia hạn", "Không đồng ý gia hạn"
    Khi "pd.ubnd" thực hiện "Đồng ý gia hạn" với ý kiến "Đồng ý gia hạn đến hết tháng 5"
    Thì thời hạn của nhiệm vụ là 31/5/2025
    Và dòng cuối của lịch sử ghi thời hạn cũ 14/4/2025 và thời hạn mới 31/5/2025
    Và dòng cuối của lịch sử là:
      | thao tác       | người thực hiện | đơn vị                | vai trò         | ý kiến                         |
      | Đồng ý gia hạn | pd.ubnd         | UBND Thành phố Hà Nội | Người phê duyệt | Đồng ý gia hạn đến hết tháng 5 |
    Khi đồng hồ chuyển sang ngày 20/4/2025
    Và hệ thống quét thời hạn
    Thì lần quét không chuyển nhiệm vụ này
    Và nhiệm vụ được xếp loại "Chưa hoàn thành trong hạn"

  Kịch bản: UBND Thành phố không đồng ý gia hạn: thời hạn giữ nguyên và nhiệm vụ quá hạn như cũ
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Khi đồng hồ chuyển sang ngày 10/4/2025
    Và "cv.sct" đề nghị gia hạn đến ngày 12/4/2025 với lý do "Cần thêm thời gian"
    Thì thao tác bị từ chối theo quy tắc "guard"
    Và lý do từ chối có nêu "phải sau thời hạn hiện tại (2025-04-14)"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi "cv.sct" đề nghị gia hạn đến ngày 30/6/2025 với lý do "Cần thêm thời gian rà soát"
    Và "pd.ubnd" thực hiện "Không đồng ý gia hạn" với ý kiến "Nhiệm vụ cấp bách theo chỉ đạo của Trung ương"
    Thì thời hạn của nhiệm vụ là 14/4/2025
    Và dòng cuối của lịch sử ghi thời hạn đề nghị 30/6/2025 không được chấp nhận, thời hạn giữ nguyên 14/4/2025
    Và "pd.ubnd" không được thực hiện "Đồng ý gia hạn"
    Khi đồng hồ chuyển sang ngày 15/4/2025
    Và hệ thống quét thời hạn
    Thì lần quét chuyển nhiệm vụ này sang quá hạn
    Và nhiệm vụ được xếp loại "Chưa hoàn thành quá hạn"

  Kịch bản: Nhiệm vụ đã quá hạn được gia hạn thì trở lại bước đang làm dở
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Khi đồng hồ chuyển sang ngày 20/4/2025
    Và hệ thống quét thời hạn
    Thì nhiệm vụ ở trạng thái "Quá hạn" với phiên bản 3
    Khi "cv.sct" đề nghị gia hạn đến ngày 15/5/2025 với lý do "Chờ ý kiến thẩm định của Sở Tư pháp"
    Và "pd.ubnd" thực hiện "Đồng ý gia hạn"
    Thì nhiệm vụ ở trạng thái "Đầu mối đang xem xét" với phiên bản 5
    Và thời hạn của nhiệm vụ là 15/5/2025
    Và nhiệm vụ được xếp loại "Chưa hoàn thành trong hạn"
    Khi hệ thống quét thời hạn
    Thì lần quét không chuyển nhiệm vụ này
    Khi đồng hồ chuyển sang ngày 16/5/2025
    Và hệ thống quét thời hạn
    Thì lần quét chuyển nhiệm vụ này sang quá hạn

  Kịch bản: UBND Thành phố thu hồi nhiệm vụ 2.4 của Sở Công Thương: nhiệm vụ kết thúc nhưng không tính là hoàn thành
    Cho nhiệm vụ 2.4 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Khi "pd.ubnd" thực hiện "Thu hồi nhiệm vụ"
    Thì thao tác bị từ chối theo quy tắc "guard"
    Và lý do từ chối có nêu "Cần ghi ý kiến"
    Khi "cv.sct" thực hiện "Thu hồi nhiệm vụ" với ý kiến "Sở xin rút"
    Thì thao tác bị từ chối theo quy tắc "role"
    Khi "pd.ubnd" thực hiện "Thu hồi nhiệm vụ" với ý kiến "Giao Sở Tài chính tổng hợp chung cho các Sở"
    Thì nhiệm vụ ở trạng thái "Đã thu hồi" với phiên bản 2
    Và "cv.sct" không còn thao tác nào với nhiệm vụ
    Và nhiệm vụ được xếp loại "Đã thu hồi"
    Và tiến độ kế hoạch "HN-2025" của "Sở Công Thương" ngày 01/4/2025 là:
      | phân loại                 | số nhiệm vụ | nhiệm vụ                     |
      | Đã hoàn thành đúng hạn    | 0           |                              |
      | Đã hoàn thành quá hạn     | 0           |                              |
      | Chưa hoàn thành trong hạn | 6           | 1.1, 1.2, 1.3, 2.1, 2.2, 2.3 |
      | Không có thời hạn         | 1           | 2.5                          |
      | Đã thu hồi                | 1           | 2.4                          |
