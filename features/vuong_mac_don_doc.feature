# language: vi
Tính năng: Vướng mắc, kiến nghị và đôn đốc
  Trong quá trình thực hiện, đơn vị chủ trì hoặc phối hợp nêu khó khăn, vướng mắc về nhiệm vụ của mình
  và phản ánh về UBND Thành phố qua Sở Nội vụ. Sở Nội vụ trả lời, hướng dẫn, hoặc trình UBND Thành phố
  những vấn đề vượt thẩm quyền. Sở Nội vụ (theo dõi chung) và Sở đầu mối đôn đốc các nhiệm vụ quá hạn;
  mỗi lần đôn đốc được ghi vào lịch sử nhiệm vụ của đơn vị bị đôn đốc.

  Bối cảnh:
    Cho các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày 01/4/2025
    Và những người dùng sau:
      | người dùng | đơn vị                | vai trò                             |
      | cv.sct     | Sở Công Thương        | Chuyên viên                         |
      | dm.stp     | Sở Tư pháp            | Đầu mối theo dõi; Thẩm định         |
      | dm.snv     | Sở Nội vụ             | Đầu mối theo dõi; Theo dõi, đôn đốc |
      | pd.ubnd    | UBND Thành phố Hà Nội | Người phê duyệt                     |
      | cv.xa1     | UBND xã mẫu 1         | Chuyên viên                         |

  Kịch bản: Sở Công Thương nêu vướng mắc; Sở Nội vụ trình UBND Thành phố; UBND Thành phố chỉ đạo
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Khi "cv.sct" nêu vướng mắc "Chưa có hướng dẫn của Bộ Tư pháp về danh mục văn bản cần sửa đổi"
    Thì vướng mắc về nhiệm vụ 1.1 của "Sở Công Thương" được gửi "Sở Nội vụ", ở trạng thái "Đã gửi Sở Nội vụ"
    Và "cv.sct" không được thực hiện "Trả lời, hướng dẫn"
    Và "pd.ubnd" không được thực hiện "UBND chỉ đạo, trả lời"
    Khi "dm.snv" thực hiện "Trình UBND xem xét" với ý kiến "Vượt thẩm quyền của Sở, đề nghị UBND Thành phố chỉ đạo"
    Thì vướng mắc ở trạng thái "Đã trình UBND"
    Khi "pd.ubnd" thực hiện "UBND chỉ đạo, trả lời" với ý kiến "Giao Sở Tư pháp hướng dẫn các Sở trước ngày 10/4/2025"
    Thì vướng mắc ở trạng thái "Đã trả lời"
    Và lịch sử của vướng mắc gồm:
      | lần | thao tác                 | đến              | người thực hiện | đơn vị                | ý kiến                                                           |
      | 1   | Nêu vướng mắc, kiến nghị | Đã gửi Sở Nội vụ | cv.sct          | Sở Công Thương        | Chưa có hướng dẫn của Bộ Tư pháp về danh mục văn bản cần sửa đổi |
      | 2   | Trình UBND xem xét       | Đã trình UBND    | dm.snv          | Sở Nội vụ             | Vượt thẩm quyền của Sở, đề nghị UBND Thành phố chỉ đạo           |
      | 3   | UBND chỉ đạo, trả lời    | Đã trả lời       | pd.ubnd         | UBND Thành phố Hà Nội | Giao Sở Tư pháp hướng dẫn các Sở trước ngày 10/4/2025            |
    Và kiểm tra nhật ký không phát hiện sai lệch

  Kịch bản: Phường phối hợp nêu kiến nghị và Sở Nội vụ trả lời ngay; xã của Kon Tum không nêu được
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "UBND phường Hoàn Kiếm" có thêm người dùng "cv.hoankiem" với vai trò "Chuyên viên"
    Khi "cv.xa1" nêu vướng mắc "Không thuộc phạm vi của xã"
    Thì thao tác bị từ chối theo quy tắc "task"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi "cv.hoankiem" nêu vướng mắc "Đề nghị làm rõ thẩm quyền cấp giấy phép kinh doanh của phường"
    Thì vướng mắc về nhiệm vụ 1.1 của "Sở Công Thương" được gửi "Sở Nội vụ", ở trạng thái "Đã gửi Sở Nội vụ"
    Khi "dm.snv" thực hiện "Trả lời, hướng dẫn" với ý kiến "Thực hiện theo Nghị định phân cấp của Chính phủ"
    Thì vướng mắc ở trạng thái "Đã trả lời"

  Kịch bản: Sở Nội vụ đôn đốc các nhiệm vụ quá hạn; Sở Công Thương thấy lời đôn đốc trong lịch sử nhiệm vụ của mình
    Khi đồng hồ chuyển sang ngày 16/4/2025
    Và hệ thống quét thời hạn
    Và "dm.snv" đôn đốc các nhiệm vụ quá hạn của kế hoạch "HN-2025" với ý kiến "Đề nghị khẩn trương hoàn thành, báo cáo trước ngày 20/4/2025"
    Thì các nhiệm vụ được đôn đốc là 1.1 và 1.2 của "Các Sở, ngành"
    Và 0 nhiệm vụ không được đôn đốc vì quy tắc "role"
    Và dòng cuối của lịch sử nhiệm vụ 1.1 của "Sở Công Thương" là:
      | thao tác | từ      | đến     | người thực hiện | đơn vị    | vai trò           | ý kiến                                                       |
      | Đôn đốc  | Quá hạn | Quá hạn | dm.snv          | Sở Nội vụ | Theo dõi, đôn đốc | Đề nghị khẩn trương hoàn thành, báo cáo trước ngày 20/4/2025 |

  Kịch bản: Sở Tư pháp chỉ đôn đốc được nhiệm vụ mình theo dõi
    Khi đồng hồ chuyển sang ngày 16/4/2025
    Và hệ thống quét thời hạn
    Và "dm.stp" đôn đốc các nhiệm vụ quá hạn của kế hoạch "HN-2025" với ý kiến "Đề nghị gửi danh mục văn bản"
    Thì các nhiệm vụ được đôn đốc là 1.1 của "Các Sở, ngành"
    Và 15 nhiệm vụ không được đôn đốc vì quy tắc "role"
    Và dòng cuối của lịch sử nhiệm vụ 1.1 của "Sở Công Thương" là:
      | thao tác | người thực hiện | đơn vị     | vai trò          | ý kiến                       |
      | Đôn đốc  | dm.stp          | Sở Tư pháp | Đầu mối theo dõi | Đề nghị gửi danh mục văn bản |
