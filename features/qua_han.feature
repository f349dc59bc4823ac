# language: vi
Tính năng: Nhiệm vụ quá hạn
  "Trước ngày 15/4/2025" nghĩa là ngày cuối cùng là 14/4/2025. Từ ngày 15/4/2025, lần quét thời hạn
  chuyển mọi bản nhiệm vụ chưa được phê duyệt sang "Quá hạn", dưới tên hệ thống. Nhiệm vụ quá hạn
  vẫn đi tiếp đúng các bước còn dở và được ghi nhận là hoàn thành quá hạn.

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

  Kịch bản: Nhiệm vụ 1.1 của Sở Công Thương quá hạn khi Sở Tư pháp đang xem xét, rồi vẫn được phê duyệt
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và thời hạn ghi "Trước ngày 15/4/2025", ngày cuối cùng là 14/4/2025
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Khi đồng hồ chuyển sang ngày 14/4/2025
    Và hệ thống quét thời hạn
    Thì lần quét không chuyển nhiệm vụ này
    Và nhiệm vụ ở trạng thái "Đầu mối đang xem xét" với phiên bản 2
    Khi đồng hồ chuyển sang ngày 15/4/2025
    Và hệ thống quét thời hạn
    Thì lần quét chuyển nhiệm vụ này sang quá hạn
    Và nhiệm vụ ở trạng thái "Quá hạn" với phiên bản 3
    Và dòng cuối của lịch sử là:
      | lần | thao tác | từ                   | đến     | người thực hiện | đơn vị | vai trò  | ý kiến                                              |
      | 3   | Quá hạn  | Đầu mối đang xem xét | Quá hạn | system          |        | Hệ thống | Quá thời hạn (hệ thống tự chuyển) / deadline passed |
    Và "dm.stp" được thực hiện "Trình cấp có thẩm quyền", "Trả lại đơn vị chủ trì", "Góp ý"
    Nhưng "cv.sct" không được thực hiện "Gửi đầu mối xem xét"
    Khi "dm.stp" thực hiện "Trình cấp có thẩm quyền"
    Thì nhiệm vụ ở trạng thái "Đã trình" với phiên bản 4
    Khi hệ thống quét thời hạn
    Thì lần quét không chuyển nhiệm vụ này
    Khi "pd.ubnd" thực hiện "Phê duyệt" và ký "KT. Chủ tịch"
    Thì nhiệm vụ ở trạng thái "Đã phê duyệt" với phiên bản 5
    Và nhiệm vụ được ghi nhận là hoàn thành, từng quá hạn từ ngày 15/4/2025
    Và lịch sử của nhiệm vụ gồm:
      | lần | thao tác                | từ                   | đến                  | người thực hiện | vai trò          | thẩm quyền ký |
      | 1   | Giao nhiệm vụ           |                      | Đã giao              | system          | Hệ thống         |               |
      | 2   | Gửi đầu mối xem xét     | Đã giao              | Đầu mối đang xem xét | cv.sct          | Chuyên viên      |               |
      | 3   | Quá hạn                 | Đầu mối đang xem xét | Quá hạn              | system          | Hệ thống         |               |
      | 4   | Trình cấp có thẩm quyền | Quá hạn              | Đã trình             | dm.stp          | Đầu mối theo dõi |               |
      | 5   | Phê duyệt               | Đã trình             | Đã phê duyệt         | pd.ubnd         | Người phê duyệt  | KT. Chủ tịch  |
    Và kiểm tra nhật ký không phát hiện sai lệch

  Kịch bản: Nhiệm vụ 3 của Phòng Tư pháp quá hạn khi chưa gửi, Phòng Tư pháp vẫn gửi tiếp được
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Và thời hạn ghi "Trước ngày 15 tháng 4 năm 2025", ngày cuối cùng là 14/4/2025
    Khi đồng hồ chuyển sang ngày 20/4/2025
    Và hệ thống quét thời hạn
    Thì lần quét chuyển nhiệm vụ này sang quá hạn
    Và nhiệm vụ ở trạng thái "Quá hạn" với phiên bản 2
    Và "cv.phtp" được thực hiện "Gửi đầu mối xem xét", "Góp ý"
    Nhưng "dm.pnv" không được thực hiện "Trình cấp có thẩm quyền"
    Khi "cv.phtp" thực hiện "Gửi đầu mối xem xét"
    Thì nhiệm vụ ở trạng thái "Đầu mối đang xem xét" với phiên bản 3
    Khi "dm.pnv" thực hiện "Trình cấp có thẩm quyền"
    Thì nhiệm vụ ở trạng thái "Đã trình" với phiên bản 4
    Khi "pd.huyen" thực hiện "Phê duyệt"
    Thì nhiệm vụ ở trạng thái "Đã phê duyệt" với phiên bản 5
    Và nhiệm vụ được ghi nhận là hoàn thành, từng quá hạn từ ngày 20/4/2025
    Và dòng cuối của lịch sử là:
      | lần | thao tác  | từ       | đến          | người thực hiện | đơn vị     | vai trò         |
      | 5   | Phê duyệt | Đã trình | Đã phê duyệt | pd.huyen        | UBND huyện | Người phê duyệt |

  Kịch bản: Không ai chuyển tay nhiệm vụ sang quá hạn, hệ thống cũng không khi chưa hết hạn
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Khi "dm.pnv" thực hiện "Quá hạn"
    Thì thao tác bị từ chối theo quy tắc "role"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi đồng hồ chuyển sang ngày 14/4/2025
    Và hệ thống thực hiện "Quá hạn"
    Thì thao tác bị từ chối theo quy tắc "deadline"
    Và lý do từ chối có nêu "Chưa quá hạn (thời hạn: 2025-04-14)"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
