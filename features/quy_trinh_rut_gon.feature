# language: vi
Tính năng: Xây dựng Quyết định theo trình tự, thủ tục rút gọn
  Nhiệm vụ 1.2 của kế hoạch Hà Nội đi "Theo quy trình rút gọn" (Luật Ban hành văn bản quy phạm pháp
  luật 2025, Điều 50; Nghị định 78/2025 sửa đổi bởi Nghị định 187/2025). Đơn vị chủ trì soạn thảo rồi
  gửi hồ sơ đầy đủ (tờ trình, dự thảo, bảng so sánh, báo cáo tiếp thu ý kiến); Sở Tư pháp thẩm định
  trong 7 ngày kể từ ngày nhận đủ hồ sơ, tính theo Bộ luật Dân sự (không tính ngày đầu; hạn rơi vào
  ngày nghỉ thì lùi sang ngày làm việc tiếp theo); UBND Thành phố ban hành Quyết định có số hiệu.
  Thẩm định được rút ngắn chứ không bỏ qua. Hết hạn thẩm định mà chưa xong thì hệ thống ghi quá hạn,
  hồ sơ vẫn đi tiếp. Việc xếp loại đúng hạn hay quá hạn theo báo cáo vẫn tính theo thời hạn của nhiệm vụ
  trong kế hoạch: quá hạn thẩm định không làm nhiệm vụ thành quá hạn nếu thời hạn đó chưa qua.

  Bối cảnh:
    Cho các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày 01/4/2025
    Và những người dùng sau:
      | người dùng | đơn vị                | vai trò                             |
      | cv.sct     | Sở Công Thương        | Chuyên viên                         |
      | dm.stp     | Sở Tư pháp            | Đầu mối theo dõi; Thẩm định         |
      | dm.snv     | Sở Nội vụ             | Đầu mối theo dõi; Theo dõi, đôn đốc |
      | pd.ubnd    | UBND Thành phố Hà Nội | Người phê duyệt                     |
    Và nhiệm vụ 1.2 "Đề xuất nội dung các VBQPPL của Thành phố" của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và nhiệm vụ theo quy trình "Xây dựng Nghị quyết, Quyết định theo trình tự, thủ tục rút gọn"
    Và nhiệm vụ đang ở trạng thái "Đang soạn thảo"

  Kịch bản: Sở Công Thương soạn thảo, Sở Tư pháp thẩm định trong hạn, UBND Thành phố ban hành Quyết định số 12/2025/QĐ-UBND
    Khi đồng hồ chuyển sang ngày 02/4/2025
    Và "cv.sct" thực hiện "Gửi hồ sơ thẩm định" kèm hồ sơ "Tờ trình, dự thảo Quyết định, bảng so sánh, báo cáo tiếp thu ý kiến"
    Thì nhiệm vụ ở trạng thái "Đang thẩm định" với phiên bản 2
    Và hạn thẩm định là ngày 09/4/2025
    Khi đồng hồ chuyển sang ngày 08/4/2025
    Và "dm.stp" thực hiện "Thẩm định xong, trình ban hành" kèm văn bản số "45/BC-STP"
    Thì nhiệm vụ ở trạng thái "Đã trình ban hành" với phiên bản 3
    Khi đồng hồ chuyển sang ngày 10/4/2025
    Và "pd.ubnd" thực hiện "Thông qua / ban hành" kèm văn bản số "12/2025/QĐ-UBND" và ký "KT. Chủ tịch"
    Thì nhiệm vụ ở trạng thái "Đã ban hành" với phiên bản 4
    Và nhiệm vụ được xếp loại "Đã hoàn thành đúng hạn"
    Và lịch sử của nhiệm vụ gồm:
      | lần | thao tác                       | đến               | người thực hiện | đơn vị                | vai trò         | văn bản                                                             | thẩm quyền ký |
      | 1   | Giao nhiệm vụ                  | Đang soạn thảo    | system          |                       | Hệ thống        |                                                                     |               |
      | 2   | Gửi hồ sơ thẩm định            | Đang thẩm định    | cv.sct          | Sở Công Thương        | Chuyên viên     | Tờ trình, dự thảo Quyết định, bảng so sánh, báo cáo tiếp thu ý kiến |               |
      | 3   | Thẩm định xong, trình ban hành | Đã trình ban hành | dm.stp          | Sở Tư pháp            | Thẩm định       | 45/BC-STP                                                           |               |
      | 4   | Thông qua / ban hành           | Đã ban hành       | pd.ubnd         | UBND Thành phố Hà Nội | Người phê duyệt | 12/2025/QĐ-UBND                                                     | KT. Chủ tịch  |
    Và kiểm tra nhật ký không phát hiện sai lệch

  Kịch bản: Thẩm định chỉ do Sở Tư pháp làm; không có số hiệu văn bản thì không ban hành được
    Cho "cv.sct" đã thực hiện "Gửi hồ sơ thẩm định" kèm hồ sơ "Tờ trình và dự thảo Quyết định"
    Khi "dm.snv" thực hiện "Thẩm định xong, trình ban hành" kèm văn bản số "12/BC-SNV"
    Thì thao tác bị từ chối theo quy tắc "role"
    Và lý do từ chối có nêu "chỉ: appraiser@justice"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi "dm.stp" thực hiện "Thẩm định xong, trình ban hành" kèm văn bản số "45/BC-STP"
    Thì nhiệm vụ ở trạng thái "Đã trình ban hành" với phiên bản 3
    Khi "pd.ubnd" thực hiện "Thông qua / ban hành" kèm văn bản "Quyết định điều chỉnh nhiệm vụ, quyền hạn của các Sở" không ghi số hiệu
    Thì thao tác bị từ chối theo quy tắc "guard"
    Và lý do từ chối có nêu "Cần số hiệu văn bản đã ban hành (ví dụ 12/2025/QĐ-UBND)"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi "pd.ubnd" thực hiện "Thông qua / ban hành" kèm văn bản số "Quyết định 12"
    Thì thao tác bị từ chối theo quy tắc "guard"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi "pd.ubnd" thực hiện "Thông qua / ban hành" kèm văn bản số "12/2025/QĐ-UBND"
    Thì nhiệm vụ ở trạng thái "Đã ban hành" với phiên bản 4

  Kịch bản: Sở Tư pháp trả lại để chỉnh lý dự thảo, Sở Công Thương gửi lại và hạn thẩm định tính lại
    Cho "cv.sct" đã thực hiện "Gửi hồ sơ thẩm định" kèm hồ sơ "Tờ trình và dự thảo Quyết định"
    Khi đồng hồ chuyển sang ngày 03/4/2025
    Và "dm.stp" thực hiện "Trả lại để chỉnh lý dự thảo" với ý kiến "Thiếu bảng so sánh và báo cáo tiếp thu ý kiến"
    Thì nhiệm vụ ở trạng thái "Đang soạn thảo" với phiên bản 3
    Khi đồng hồ chuyển sang ngày 04/4/2025
    Và "cv.sct" thực hiện "Gửi hồ sơ thẩm định" kèm hồ sơ "Tờ trình, dự thảo Quyết định, bảng so sánh, báo cáo tiếp thu ý kiến"
    Thì nhiệm vụ ở trạng thái "Đang thẩm định" với phiên bản 4
    Và hạn thẩm định là ngày 11/4/2025

  Kịch bản: UBND Thành phố trả lại hồ sơ trình thì dự thảo quay về Sở Công Thương chỉnh lý
    Cho "cv.sct" đã thực hiện "Gửi hồ sơ thẩm định" kèm hồ sơ "Tờ trình, dự thảo Quyết định, bảng so sánh, báo cáo tiếp thu ý kiến"
    Và "dm.stp" đã thực hiện "Thẩm định xong, trình ban hành" kèm văn bản số "45/BC-STP"
    Khi "pd.ubnd" thực hiện "Trả lại hồ sơ trình"
    Thì thao tác bị từ chối theo quy tắc "guard"
    Khi "pd.ubnd" thực hiện "Trả lại hồ sơ trình" với ý kiến "Làm rõ thẩm quyền của UBND cấp xã trong dự thảo"
    Thì nhiệm vụ ở trạng thái "Đang soạn thảo" với phiên bản 4
    Và dòng cuối của lịch sử là:
      | thao tác            | từ                | đến            | người thực hiện | ý kiến                                          |
      | Trả lại hồ sơ trình | Đã trình ban hành | Đang soạn thảo | pd.ubnd         | Làm rõ thẩm quyền của UBND cấp xã trong dự thảo |

  Khung kịch bản: Hồ sơ đủ ngày <ngày nhận đủ hồ sơ> (<thứ>): hạn thẩm định là ngày <hạn thẩm định>
    Khi đồng hồ chuyển sang ngày <ngày nhận đủ hồ sơ>
    Và "cv.sct" thực hiện "Gửi hồ sơ thẩm định" kèm hồ sơ "Tờ trình, dự thảo Quyết định, bảng so sánh, báo cáo tiếp thu ý kiến"
    Thì hạn thẩm định là ngày <hạn thẩm định>

    Dữ liệu:
      | ngày nhận đủ hồ sơ | thứ     | hạn thẩm định | vì sao                                              |
      | 01/4/2025          | thứ Ba  | 08/4/2025     | không tính ngày nhận hồ sơ; ngày thứ 7 là thứ Ba    |
      | 04/4/2025          | thứ Sáu | 11/4/2025     | ngày thứ 7 là thứ Sáu, ngày làm việc                |
      | 05/4/2025          | thứ Bảy | 14/4/2025     | ngày thứ 7 (12/4) là thứ Bảy: lùi sang thứ Hai 14/4 |

  Kịch bản: Hạn thẩm định rơi vào dịp nghỉ 30/4 – 1/5 thì lùi sang ngày làm việc tiếp theo
    Cho hôm nay là ngày 10/4/2025
    Và "cv.sct" đã đề nghị gia hạn đến ngày 30/6/2025 với lý do "Chờ ý kiến các Sở về danh mục Quyết định"
    Và "pd.ubnd" đã thực hiện "Đồng ý gia hạn"
    Khi đồng hồ chuyển sang ngày 23/4/2025
    Và "cv.sct" thực hiện "Gửi hồ sơ thẩm định" kèm hồ sơ "Tờ trình, dự thảo Quyết định, bảng so sánh, báo cáo tiếp thu ý kiến"
    Thì hạn thẩm định là ngày 05/5/2025

  Kịch bản: Quá hạn thẩm định: hệ thống ghi quá hạn, Sở Tư pháp vẫn thẩm định xong và UBND Thành phố ban hành trong thời hạn của nhiệm vụ
    Cho "cv.sct" đã thực hiện "Gửi hồ sơ thẩm định" kèm hồ sơ "Tờ trình, dự thảo Quyết định, bảng so sánh, báo cáo tiếp thu ý kiến"
    Khi đồng hồ chuyển sang ngày 08/4/2025
    Và hệ thống quét thời hạn
    Thì lần quét không chuyển nhiệm vụ này
    Khi đồng hồ chuyển sang ngày 09/4/2025
    Và hệ thống quét thời hạn
    Thì lần quét chuyển nhiệm vụ này sang quá hạn
    Và nhiệm vụ ở trạng thái "Quá hạn" với phiên bản 3
    Và "dm.stp" được thực hiện "Thẩm định xong, trình ban hành", "Trả lại để chỉnh lý dự thảo"
    Nhưng "cv.sct" không được thực hiện "Gửi hồ sơ thẩm định"
    Khi "dm.stp" thực hiện "Thẩm định xong, trình ban hành" kèm văn bản số "45/BC-STP"
    Thì nhiệm vụ ở trạng thái "Đã trình ban hành" với phiên bản 4
    Khi "pd.ubnd" thực hiện "Thông qua / ban hành" kèm văn bản số "12/2025/QĐ-UBND"
    Thì nhiệm vụ ở trạng thái "Đã ban hành" với phiên bản 5
    Và nhiệm vụ được ghi nhận là hoàn thành, từng quá hạn từ ngày 9/4/2025
    Và nhiệm vụ được xếp loại "Đã hoàn thành đúng hạn"
