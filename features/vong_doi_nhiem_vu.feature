# language: vi
Tính năng: Vòng đời một nhiệm vụ của kế hoạch
  Mỗi đơn vị chủ trì nhận một bản riêng của nhiệm vụ. Đơn vị chủ trì thực hiện rồi gửi đầu mối
  chịu trách nhiệm theo dõi xem xét; đầu mối trình cấp có thẩm quyền; UBND phê duyệt.
  Mỗi bước tăng phiên bản của nhiệm vụ và ghi đúng một dòng vào lịch sử.

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

  Kịch bản: Nhiệm vụ 1.1 của Sở Công Thương được phê duyệt, Phó Chủ tịch ký thay Chủ tịch
    Cho nhiệm vụ 1.1 "Rà soát danh mục và xác định thời gian sửa đổi, bổ sung các văn bản quy phạm pháp luật" của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và đầu mối theo dõi là "Sở Tư pháp", cấp phê duyệt là "UBND Thành phố"
    Và thời hạn ghi "Trước ngày 15/4/2025", ngày cuối cùng là 14/4/2025
    Khi "cv.sct" thực hiện "Gửi đầu mối xem xét"
    Thì nhiệm vụ ở trạng thái "Đầu mối đang xem xét" với phiên bản 2
    Khi "dm.stp" thực hiện "Trình cấp có thẩm quyền"
    Thì nhiệm vụ ở trạng thái "Đã trình" với phiên bản 3
    Khi "pd.ubnd" thực hiện "Phê duyệt" và ký "KT. Chủ tịch"
    Thì nhiệm vụ ở trạng thái "Đã phê duyệt" với phiên bản 4
    Và lịch sử của nhiệm vụ gồm:
      | lần | thao tác                | từ                   | đến                  | người thực hiện | đơn vị                | vai trò          | thẩm quyền ký |
      | 1   | Giao nhiệm vụ           |                      | Đã giao              | system          |                       | Hệ thống         |               |
      | 2   | Gửi đầu mối xem xét     | Đã giao              | Đầu mối đang xem xét | cv.sct          | Sở Công Thương        | Chuyên viên      |               |
      | 3   | Trình cấp có thẩm quyền | Đầu mối đang xem xét | Đã trình             | dm.stp          | Sở Tư pháp            | Đầu mối theo dõi |               |
      | 4   | Phê duyệt               | Đã trình             | Đã phê duyệt         | pd.ubnd         | UBND Thành phố Hà Nội | Người phê duyệt  | KT. Chủ tịch  |
    Và "pd.ubnd" không còn thao tác nào với nhiệm vụ
    Và "cv.sct" không còn thao tác nào với nhiệm vụ

  Kịch bản: Nhiệm vụ 3 của Phòng Tư pháp được UBND huyện phê duyệt, Chủ tịch ký trực tiếp
    Cho nhiệm vụ 3 "Rà soát các văn bản quy phạm pháp luật liên quan đến chức năng, nhiệm vụ, quyền hạn của chính quyền địa phương" của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Và đầu mối theo dõi là "Phòng Nội vụ", cấp phê duyệt là "UBND huyện"
    Và thời hạn ghi "Trước ngày 15 tháng 4 năm 2025", ngày cuối cùng là 14/4/2025
    Khi "cv.phtp" thực hiện "Gửi đầu mối xem xét"
    Thì nhiệm vụ ở trạng thái "Đầu mối đang xem xét" với phiên bản 2
    Khi "dm.pnv" thực hiện "Trình cấp có thẩm quyền"
    Thì nhiệm vụ ở trạng thái "Đã trình" với phiên bản 3
    Khi "pd.huyen" thực hiện "Phê duyệt"
    Thì nhiệm vụ ở trạng thái "Đã phê duyệt" với phiên bản 4
    Và lịch sử của nhiệm vụ gồm:
      | lần | thao tác                | đến                  | người thực hiện | đơn vị        | vai trò          | thẩm quyền ký |
      | 1   | Giao nhiệm vụ           | Đã giao              | system          |               | Hệ thống         |               |
      | 2   | Gửi đầu mối xem xét     | Đầu mối đang xem xét | cv.phtp         | Phòng Tư pháp | Chuyên viên      |               |
      | 3   | Trình cấp có thẩm quyền | Đã trình             | dm.pnv          | Phòng Nội vụ  | Đầu mối theo dõi |               |
      | 4   | Phê duyệt               | Đã phê duyệt         | pd.huyen        | UBND huyện    | Người phê duyệt  |               |

  Kịch bản: Sở Tư pháp trả lại Sở Công Thương kèm ý kiến, Sở Công Thương bổ sung và gửi lại
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Khi "dm.stp" thực hiện "Trả lại đơn vị chủ trì" với ý kiến "Đề nghị bổ sung các Quyết định của UBND Thành phố về lĩnh vực công thương"
    Thì nhiệm vụ ở trạng thái "Đã giao" với phiên bản 3
    Và dòng cuối của lịch sử là:
      | lần | thao tác               | từ                   | đến     | người thực hiện | đơn vị     | ý kiến                                                                    |
      | 3   | Trả lại đơn vị chủ trì | Đầu mối đang xem xét | Đã giao | dm.stp          | Sở Tư pháp | Đề nghị bổ sung các Quyết định của UBND Thành phố về lĩnh vực công thương |
    Khi "cv.sct" thực hiện "Gửi đầu mối xem xét" với ý kiến "Đã bổ sung danh mục"
    Thì nhiệm vụ ở trạng thái "Đầu mối đang xem xét" với phiên bản 4

  Kịch bản: Sở Tư pháp không thể trả lại mà không ghi ý kiến
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Khi "dm.stp" thực hiện "Trả lại đơn vị chủ trì"
    Thì thao tác bị từ chối theo quy tắc "guard"
    Và lý do từ chối có nêu "Cần ghi ý kiến"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi "dm.stp" thực hiện "Trả lại đơn vị chủ trì" với ý kiến "   "
    Thì thao tác bị từ chối theo quy tắc "guard"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi

  Kịch bản: UBND huyện trả lại Phòng Nội vụ kèm ý kiến; không ghi ý kiến thì bị từ chối
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Và "cv.phtp" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.pnv" đã thực hiện "Trình cấp có thẩm quyền"
    Khi "pd.huyen" thực hiện "Trả lại đầu mối"
    Thì thao tác bị từ chối theo quy tắc "guard"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi "pd.huyen" thực hiện "Trả lại đầu mối" với ý kiến "Làm rõ thẩm quyền của UBND cấp xã trong danh mục đề xuất"
    Thì nhiệm vụ ở trạng thái "Đầu mối đang xem xét" với phiên bản 4
    Và dòng cuối của lịch sử là:
      | lần | thao tác        | từ       | đến                  | người thực hiện | đơn vị     | vai trò         | ý kiến                                                   |
      | 4   | Trả lại đầu mối | Đã trình | Đầu mối đang xem xét | pd.huyen        | UBND huyện | Người phê duyệt | Làm rõ thẩm quyền của UBND cấp xã trong danh mục đề xuất |
