# language: vi
Tính năng: Kế thừa đơn vị khi sắp xếp tổ chức bộ máy
  Từ ngày 01/7/2025 cấp huyện không còn: nhiệm vụ đang làm của các phòng thuộc UBND huyện chuyển cho
  đơn vị kế thừa theo quyết định sắp xếp. Mỗi bản nhiệm vụ đang mở chuyển bằng đúng một sự kiện "chuyển
  đơn vị chủ trì" ghi quyết định; lịch sử vẫn ghi đơn vị cũ; nhiệm vụ đã phê duyệt giữ nguyên đơn vị cũ;
  đơn vị cũ ngừng hoạt động và người dùng của nó không còn thao tác với nhiệm vụ đã chuyển.

  Bối cảnh:
    Cho các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày 01/4/2025
    Và những người dùng sau:
      | người dùng | đơn vị        | vai trò                             |
      | cv.phtp    | Phòng Tư pháp | Chuyên viên; Thẩm định              |
      | dm.pnv     | Phòng Nội vụ  | Đầu mối theo dõi; Theo dõi, đôn đốc |
      | pd.huyen   | UBND huyện    | Người phê duyệt                     |

  Kịch bản: Sở Tư pháp tỉnh Quảng Ngãi kế thừa Phòng Tư pháp huyện từ ngày 01/7/2025
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì đã được phê duyệt ngày 01/4/2025
    Và nhiệm vụ 1 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Và "UBND huyện" có thêm người dùng "qt.huyen" với vai trò "Quản trị"
    Khi đồng hồ chuyển sang ngày 01/7/2025
    Và "qt.huyen" ghi nhận đơn vị "QNG-STP" kế thừa "Phòng Tư pháp" từ ngày 01/7/2025 theo "Nghị quyết số 1678/NQ-UBTVQH15"
    Thì nhiệm vụ do "QNG-STP" chủ trì, dòng cuối của lịch sử ghi đơn vị cũ "KT-PTP" và quyết định "Nghị quyết số 1678/NQ-UBTVQH15"
    Và "cv.phtp" không còn thao tác nào với nhiệm vụ
    Và nhiệm vụ 3 của kế hoạch "KT-2025" vẫn do "KT-PTP" chủ trì, đã phê duyệt, lịch sử không đổi
    Và "Phòng Tư pháp" không còn hoạt động
    Và kiểm tra nhật ký không phát hiện sai lệch

  Kịch bản: Quyết định kế thừa ban hành trước ngày hiệu lực được áp dụng đúng ngày, một lần
    Cho nhiệm vụ 1 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì
    Và "UBND huyện" có thêm người dùng "qt.huyen" với vai trò "Quản trị"
    Và hôm nay là ngày 16/6/2025
    Khi "qt.huyen" ghi nhận đơn vị "QNG-STP" kế thừa "Phòng Tư pháp" từ ngày 01/7/2025 theo "Nghị quyết số 1678/NQ-UBTVQH15"
    Thì việc kế thừa được lên lịch cho ngày 01/7/2025 và nhiệm vụ vẫn do "KT-PTP" chủ trì
    Khi đồng hồ chuyển sang ngày 30/6/2025
    Và hệ thống quét thời hạn
    Thì nhiệm vụ vẫn do "KT-PTP" chủ trì
    Khi đồng hồ chuyển sang ngày 01/7/2025
    Và hệ thống quét thời hạn
    Và hệ thống quét thời hạn
    Thì nhiệm vụ do "QNG-STP" chủ trì, dòng cuối của lịch sử ghi đơn vị cũ "KT-PTP" và quyết định "Nghị quyết số 1678/NQ-UBTVQH15"
    Và sự kiện chuyển do hệ thống ghi theo lịch đã lên
    Và "Phòng Tư pháp" không còn hoạt động
    Và kiểm tra nhật ký không phát hiện sai lệch
