# language: vi
Tính năng: Phân quyền theo vai trò và theo đơn vị
  Chỉ người có đúng vai trò, thuộc đúng đơn vị đối với bản nhiệm vụ (đơn vị chủ trì, đầu mối theo
  dõi, cấp phê duyệt) mới chuyển được nhiệm vụ. Đơn vị phối hợp được góp ý nhưng không chuyển bước.
  Mỗi lần từ chối nêu quy tắc đã chặn; trạng thái, phiên bản và nhật ký của nhiệm vụ giữ nguyên.
  Đơn vị không liên quan đến bản nhiệm vụ nhận cùng câu trả lời như khi nhiệm vụ không tồn tại (quy tắc
  "task"): thao tác ghi không để lộ điều gì mà thao tác đọc giấu đi.
  Người dùng thao tác qua giao diện lập trình web (API) như khi dùng thật; người chưa đăng nhập hợp lệ
  bị chặn ngay từ cửa (quy tắc "auth").

  Bối cảnh:
    Cho các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày 01/4/2025
    Và những người dùng sau:
      | người dùng | đơn vị                | vai trò                             |
      | cv.sct     | Sở Công Thương        | Chuyên viên                         |
      | ld.sct     | Sở Công Thương        | Lãnh đạo đơn vị                     |
      | dm.stp     | Sở Tư pháp            | Đầu mối theo dõi; Thẩm định         |
      | dm.snv     | Sở Nội vụ             | Đầu mối theo dõi; Theo dõi, đôn đốc |
      | dm.stc     | Sở Tài chính          | Đầu mối theo dõi                    |
      | pd.ubnd    | UBND Thành phố Hà Nội | Người phê duyệt                     |
      | kiemtoan   | Sở Nội vụ             | Kiểm toán, thanh tra                |
      | cv.phtp    | Phòng Tư pháp         | Chuyên viên; Thẩm định              |
      | dm.pnv     | Phòng Nội vụ          | Đầu mối theo dõi; Theo dõi, đôn đốc |
      | pd.huyen   | UBND huyện            | Người phê duyệt                     |
      | cv.xa1     | UBND xã mẫu 1         | Chuyên viên                         |
    Và "UBND phường Hoàn Kiếm" có thêm người dùng "cv.hoankiem" với vai trò "Chuyên viên"

  Khung kịch bản: Nhiệm vụ 1.1 của Sở Công Thương đang chờ Sở Tư pháp xem xét: "<người dùng>" không được "<thao tác>"
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Khi "<người dùng>" thực hiện "<thao tác>"
    Thì thao tác bị từ chối theo quy tắc "<quy tắc>"
    Và lý do từ chối có nêu "<lý do>"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi

    Dữ liệu:
      | người dùng  | thao tác                | quy tắc | lý do                                                                              |
      | cv.sct      | Trình cấp có thẩm quyền | role    | 'cv.sct' (đơn vị HN-SCT, vai trò officer) không được giao quyền 'submit'           |
      | ld.sct      | Trả lại đơn vị chủ trì  | role    | chỉ: reviewer@focal                                                                |
      | dm.snv      | Trình cấp có thẩm quyền | role    | 'dm.snv' (đơn vị HN-SNV, vai trò monitor, reviewer) không được giao quyền 'submit' |
      | dm.stc      | Trình cấp có thẩm quyền | task    | Không có nhiệm vụ số                                                               |
      | cv.hoankiem | Trình cấp có thẩm quyền | role    | (đơn vị HN-P-HOANKIEM, vai trò officer)                                            |
      | kiemtoan    | Trình cấp có thẩm quyền | role    | vai trò auditor                                                                    |
      | pd.ubnd     | Phê duyệt               | state   | trạng thái 'Đầu mối đang xem xét'                                                  |
      | cv.sct      | Gửi đầu mối xem xét     | state   | Không thể 'submit_for_review'                                                      |
      | khach       | Trình cấp có thẩm quyền | auth    | Cần đăng nhập                                                                      |

  Khung kịch bản: Nhiệm vụ 1.1 của Sở Công Thương đã trình UBND Thành phố: chỉ người phê duyệt của UBND Thành phố được "Phê duyệt"
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.stp" đã thực hiện "Trình cấp có thẩm quyền"
    Khi "<người dùng>" thực hiện "Phê duyệt" và ký "KT. Chủ tịch"
    Thì thao tác bị từ chối theo quy tắc "<quy tắc>"
    Và lý do từ chối có nêu "<lý do>"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi

    Dữ liệu:
      | người dùng | quy tắc | lý do                                                            |
      | cv.sct     | role    | (đơn vị HN-SCT, vai trò officer) không được giao quyền 'approve' |
      | ld.sct     | role    | (đơn vị HN-SCT, vai trò head)                                    |
      | dm.stp     | role    | (đơn vị HN-STP, vai trò appraiser, reviewer)                     |
      | dm.snv     | role    | chỉ: approver@authority                                          |
      | pd.huyen   | task    | hoặc bạn không được xem                                          |

  Khung kịch bản: Nhiệm vụ 3 của Phòng Tư pháp vừa được giao: "<người dùng>" không được "<thao tác>"
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Khi "<người dùng>" thực hiện "<thao tác>"
    Thì thao tác bị từ chối theo quy tắc "<quy tắc>"
    Và lý do từ chối có nêu "<lý do>"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi

    Dữ liệu:
      | người dùng | thao tác                | quy tắc | lý do                                                                       |
      | cv.xa1     | Gửi đầu mối xem xét     | task    | hoặc bạn không được xem                                                     |
      | cv.sct     | Gửi đầu mối xem xét     | task    | Không có nhiệm vụ số                                                        |
      | dm.pnv     | Gửi đầu mối xem xét     | role    | (đơn vị KT-PNV, vai trò monitor, reviewer)                                  |
      | dm.pnv     | Trình cấp có thẩm quyền | state   | trạng thái 'Đã giao'                                                        |
      | pd.huyen   | Phê duyệt               | state   | trạng thái 'Đã giao'                                                        |
      | cv.phtp    | Góp ý                   | guard   | Cần ghi ý kiến                                                              |

  Kịch bản: Chuyên viên Sở Công Thương không gửi được bản nhiệm vụ 1.1 của Sở Tài chính, như thể không có
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Tài chính" chủ trì
    Khi "cv.sct" thực hiện "Gửi đầu mối xem xét"
    Thì thao tác bị từ chối theo quy tắc "task"
    Và lý do từ chối có nêu "hoặc bạn không được xem"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Nhưng "cv.sct" không còn thao tác nào với nhiệm vụ

  Kịch bản: Phường Hoàn Kiếm phối hợp được góp ý nhưng không được chuyển bước
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "UBND phường Hoàn Kiếm" là đơn vị phối hợp của nhiệm vụ
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Khi "cv.hoankiem" thực hiện "Góp ý" với ý kiến "Phường đề nghị rà soát thêm Quyết định về cấp giấy phép kinh doanh"
    Thì nhiệm vụ ở trạng thái "Đầu mối đang xem xét" với phiên bản 3
    Và dòng cuối của lịch sử là:
      | lần | thao tác | từ                   | đến                  | người thực hiện | đơn vị                | vai trò     | ý kiến                                                             |
      | 3   | Góp ý    | Đầu mối đang xem xét | Đầu mối đang xem xét | cv.hoankiem     | UBND phường Hoàn Kiếm | Chuyên viên | Phường đề nghị rà soát thêm Quyết định về cấp giấy phép kinh doanh |
    Và "cv.hoankiem" chỉ được thực hiện "Góp ý"
    Khi "cv.hoankiem" thực hiện "Trình cấp có thẩm quyền"
    Thì thao tác bị từ chối theo quy tắc "role"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi "cv.hoankiem" thực hiện "Góp ý"
    Thì thao tác bị từ chối theo quy tắc "guard"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi

  Kịch bản: Hai người cùng mở nhiệm vụ, người thao tác trên phiên bản cũ bị từ chối
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Và "cv.phtp" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.pnv" đã thực hiện "Trả lại đơn vị chủ trì" với ý kiến "Bổ sung văn bản của HĐND huyện"
    Khi "cv.phtp" thực hiện "Gửi đầu mối xem xét" trên phiên bản 2 đã cũ
    Thì thao tác bị từ chối theo quy tắc "version"
    Và lý do từ chối có nêu "phiên bản hiện tại 3, bạn gửi 2"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
