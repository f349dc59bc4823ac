# language: vi
Tính năng: Phê duyệt ký thay (KT. Chủ tịch) được ghi cùng thẩm quyền ký
  Phó Chủ tịch ký thay Chủ tịch ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"); văn bản cũng có thể ký thừa lệnh (TL.)
  hoặc thừa ủy quyền (TUQ.). Thẩm quyền ký là một phần của việc ai đã phê duyệt: lịch sử ghi cả người
  ký lẫn thẩm quyền ký; thẩm quyền ký khác ba cách trên bị từ chối. Chủ tịch ký trực tiếp thì không ghi
  thẩm quyền ký.

  Bối cảnh:
    Cho các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày 01/4/2025
    Và những người dùng sau:
      | người dùng | đơn vị                | vai trò                             |
      | cv.sct     | Sở Công Thương        | Chuyên viên                         |
      | dm.stp     | Sở Tư pháp            | Đầu mối theo dõi; Thẩm định         |
      | pd.ubnd    | UBND Thành phố Hà Nội | Người phê duyệt                     |
      | cv.phtp    | Phòng Tư pháp         | Chuyên viên; Thẩm định              |
      | dm.pnv     | Phòng Nội vụ          | Đầu mối theo dõi; Theo dõi, đôn đốc |
      | pd.huyen   | UBND huyện            | Người phê duyệt                     |

  Kịch bản: Kế hoạch Hà Nội do Phó Chủ tịch ký thay Chủ tịch; kế hoạch Kon Tum do Chủ tịch ký
    Thì kế hoạch "HN-2025" do "Lê Hồng Sơn" ký, với "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    Và kế hoạch "KT-2025" do "Lê Viết Nam" ký, với "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"

  Khung kịch bản: UBND Thành phố phê duyệt nhiệm vụ 1.1 của Sở Công Thương, ký "<ký>"
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.stp" đã thực hiện "Trình cấp có thẩm quyền"
    Khi "pd.ubnd" thực hiện "Phê duyệt" và ký "<ký>"
    Thì nhiệm vụ ở trạng thái "Đã phê duyệt" với phiên bản 4
    Và dòng cuối của lịch sử là:
      | thao tác  | người thực hiện | đơn vị                | vai trò         | thẩm quyền ký |
      | Phê duyệt | pd.ubnd         | UBND Thành phố Hà Nội | Người phê duyệt | <ghi nhận>    |
    Và kiểm tra nhật ký không phát hiện sai lệch

    Dữ liệu:
      | ký            | ghi nhận      |
      | KT. Chủ tịch  | KT. Chủ tịch  |
      | kt. Chủ tịch  | KT. Chủ tịch  |
      | TL. Chủ tịch  | TL. Chủ tịch  |
      | TUQ. Chủ tịch | TUQ. Chủ tịch |

  Kịch bản: Thẩm quyền ký không phải KT., TL. hay TUQ. thì bị từ chối
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.stp" đã thực hiện "Trình cấp có thẩm quyền"
    Khi "pd.ubnd" thực hiện "Phê duyệt" và ký "Thay mặt Chủ tịch"
    Thì thao tác bị từ chối theo quy tắc "guard"
    Và lý do từ chối có nêu "Thẩm quyền ký 'Thay mặt Chủ tịch' không hợp lệ (KT., TL., TUQ.)"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi

  Kịch bản: Chủ tịch UBND huyện ký trực tiếp: lịch sử không ghi thẩm quyền ký
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Và "cv.phtp" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.pnv" đã thực hiện "Trình cấp có thẩm quyền"
    Khi "pd.huyen" thực hiện "Phê duyệt"
    Thì nhiệm vụ ở trạng thái "Đã phê duyệt" với phiên bản 4
    Và dòng cuối của lịch sử là:
      | thao tác  | người thực hiện | đơn vị     | thẩm quyền ký |
      | Phê duyệt | pd.huyen        | UBND huyện |               |
