# language: vi
Tính năng: Nhật ký thao tác kiểm tra được
  Mỗi thao tác ghi một sự kiện vào nhật ký, nối chuỗi băm với sự kiện trước của cùng nhiệm vụ;
  bản nhiệm vụ giữ mã băm của sự kiện mới nhất. Cơ sở dữ liệu chỉ cho ghi thêm. Nếu ai đó vượt qua
  chốt chặn ấy để sửa hay xóa sự kiện, lần kiểm tra nhật ký nêu đúng nhiệm vụ và sự kiện bị can thiệp.

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
      | kiemtoan   | Sở Nội vụ             | Kiểm toán, thanh tra                |

  Kịch bản: Sau khi nhiệm vụ 1.1 của Sở Công Thương đi hết vòng đời, chuỗi nhật ký khớp
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.stp" đã thực hiện "Trả lại đơn vị chủ trì" với ý kiến "Đề nghị bổ sung danh mục"
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.stp" đã thực hiện "Trình cấp có thẩm quyền"
    Và "pd.ubnd" đã thực hiện "Phê duyệt" và ký "KT. Chủ tịch"
    Thì nhiệm vụ còn đủ 6 sự kiện trong nhật ký
    Và kiểm tra nhật ký không phát hiện sai lệch

  Kịch bản: Cơ sở dữ liệu không cho sửa hay xóa sự kiện trong nhật ký
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Và "cv.phtp" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.pnv" đã thực hiện "Trình cấp có thẩm quyền"
    Khi có người sửa ý kiến của sự kiện thứ 2 của nhiệm vụ thành "Đã hoàn thành"
    Thì cơ sở dữ liệu từ chối với thông báo "append-only"
    Khi có người xóa sự kiện thứ 2 của nhiệm vụ
    Thì cơ sở dữ liệu từ chối với thông báo "append-only"
    Và nhiệm vụ còn đủ 3 sự kiện trong nhật ký
    Và kiểm tra nhật ký không phát hiện sai lệch

  Kịch bản: Sửa ý kiến trả lại của Sở Tư pháp thì lần kiểm tra nêu đúng nhiệm vụ và sự kiện
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.stp" đã thực hiện "Trả lại đơn vị chủ trì" với ý kiến "Đề nghị bổ sung danh mục"
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.stp" đã thực hiện "Trình cấp có thẩm quyền"
    Và "pd.ubnd" đã thực hiện "Phê duyệt" và ký "KT. Chủ tịch"
    Và quản trị viên cơ sở dữ liệu đã gỡ chốt chặn chỉ-ghi-thêm của bảng nhật ký
    Khi có người sửa ý kiến của sự kiện thứ 3 của nhiệm vụ thành "Đồng ý, không cần bổ sung"
    Thì kiểm tra nhật ký báo nhiệm vụ này, sự kiện thứ 3: "contents do not match its hash (edited)"
    Và kiểm tra nhật ký chỉ nêu nhiệm vụ này

  Kịch bản: Xóa một sự kiện của nhiệm vụ 3 của Phòng Tư pháp thì lần kiểm tra nêu sự kiện bị thiếu
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Và "cv.phtp" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.pnv" đã thực hiện "Trình cấp có thẩm quyền"
    Và "pd.huyen" đã thực hiện "Phê duyệt"
    Và quản trị viên cơ sở dữ liệu đã gỡ chốt chặn chỉ-ghi-thêm của bảng nhật ký
    Khi có người xóa sự kiện thứ 2 của nhiệm vụ
    Thì kiểm tra nhật ký báo nhiệm vụ này, sự kiện thứ 2: "missing (deleted?)"
    Và kiểm tra nhật ký chỉ nêu nhiệm vụ này

  Kịch bản: Xóa sự kiện phê duyệt mới nhất thì điểm kiểm tra trên nhiệm vụ phát hiện
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Và "cv.phtp" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.pnv" đã thực hiện "Trình cấp có thẩm quyền"
    Và "pd.huyen" đã thực hiện "Phê duyệt"
    Và quản trị viên cơ sở dữ liệu đã gỡ chốt chặn chỉ-ghi-thêm của bảng nhật ký
    Khi có người xóa sự kiện thứ 4 của nhiệm vụ
    Thì kiểm tra nhật ký báo nhiệm vụ này: "checkpoint is version 4"
    Và kiểm tra nhật ký báo nhiệm vụ này: "the chain ends at seq 3"
    Và kiểm tra nhật ký chỉ nêu nhiệm vụ này

  Kịch bản: Kiểm toán viên đọc lịch sử, xuất nhật ký ra tệp JSON Lines và kiểm tra tệp ngoài cơ sở dữ liệu
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.stp" đã thực hiện "Trả lại đơn vị chủ trì" với ý kiến "Đề nghị bổ sung danh mục"
    Và "cv.sct" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.stp" đã thực hiện "Trình cấp có thẩm quyền"
    Và "pd.ubnd" đã thực hiện "Phê duyệt" và ký "KT. Chủ tịch"
    Khi kiểm toán viên "kiemtoan" xuất toàn bộ nhật ký ra tệp JSON Lines cùng điểm kiểm tra
    Thì lịch sử của nhiệm vụ gồm:
      | lần | thao tác                | người thực hiện | đơn vị                | thẩm quyền ký | ý kiến                                 |
      | 1   | Giao nhiệm vụ           | system          |                       |               | Giao nhiệm vụ 1.1 của kế hoạch HN-2025 |
      | 2   | Gửi đầu mối xem xét     | cv.sct          | Sở Công Thương        |               |                                        |
      | 3   | Trả lại đơn vị chủ trì  | dm.stp          | Sở Tư pháp            |               | Đề nghị bổ sung danh mục               |
      | 4   | Gửi đầu mối xem xét     | cv.sct          | Sở Công Thương        |               |                                        |
      | 5   | Trình cấp có thẩm quyền | dm.stp          | Sở Tư pháp            |               |                                        |
      | 6   | Phê duyệt               | pd.ubnd         | UBND Thành phố Hà Nội | KT. Chủ tịch  |                                        |
    Và tệp có 6 dòng của nhiệm vụ này, dòng đầu nối với mã gốc, mỗi dòng sau nối mã băm của dòng trước
    Và kiểm tra tệp với điểm kiểm tra không phát hiện sai lệch
    Khi có người sửa ý kiến ở dòng có lần 3 của nhiệm vụ này trong tệp thành "Đồng ý, không cần bổ sung"
    Thì kiểm tra tệp báo nhiệm vụ này: "contents do not match its hash (edited)"

  Kịch bản: Bỏ dòng cuối của nhiệm vụ khỏi tệp đã xuất thì điểm kiểm tra phát hiện
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Và "cv.phtp" đã thực hiện "Gửi đầu mối xem xét"
    Và "dm.pnv" đã thực hiện "Trình cấp có thẩm quyền"
    Và "pd.huyen" đã thực hiện "Phê duyệt"
    Khi kiểm toán viên "kiemtoan" xuất toàn bộ nhật ký ra tệp JSON Lines cùng điểm kiểm tra
    Và có người bỏ dòng cuối của nhiệm vụ này khỏi tệp
    Thì kiểm tra tệp báo nhiệm vụ này: "checkpoint is version 4"
