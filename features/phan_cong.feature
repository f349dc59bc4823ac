# language: vi
Tính năng: Phân công chuyên viên xử lý
  Lãnh đạo đơn vị chủ trì phân công một chuyên viên của đơn vị xử lý nhiệm vụ. Việc phân công được ghi vào
  lịch sử; nhiệm vụ vẫn thuộc đơn vị; chuyên viên được phân công thấy nhiệm vụ đầu tiên trong danh sách
  chờ xử lý và nhận thông báo. Không phân công được cho người của đơn vị khác.

  Bối cảnh:
    Cho các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày 01/4/2025
    Và những người dùng sau:
      | người dùng | đơn vị         | vai trò                |
      | cv.sct     | Sở Công Thương | Chuyên viên            |
      | ld.sct     | Sở Công Thương | Lãnh đạo đơn vị        |
      | cv.phtp    | Phòng Tư pháp  | Chuyên viên; Thẩm định |

  Kịch bản: Lãnh đạo Sở phân công chuyên viên; chuyên viên thấy việc được giao trước và nhận thông báo
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Và "Sở Công Thương" có thêm người dùng "cv2.sct" với vai trò "Chuyên viên"
    Khi "ld.sct" phân công "cv2.sct" xử lý nhiệm vụ
    Thì nhiệm vụ được phân công cho "cv2.sct", vẫn do "Sở Công Thương" chủ trì, ở trạng thái "Đã giao"
    Và nhiệm vụ đứng đầu danh sách chờ xử lý của "cv2.sct"
    Và "cv2.sct" có thông báo "Được phân công xử lý" về nhiệm vụ
    Và "cv.phtp" không có thông báo nào
    Và kiểm tra nhật ký không phát hiện sai lệch

  Kịch bản: Không phân công cho người của đơn vị khác; chuyên viên không tự phân công
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Công Thương" chủ trì
    Khi "ld.sct" phân công "cv.phtp" xử lý nhiệm vụ
    Thì thao tác bị từ chối theo quy tắc "guard"
    Và lý do từ chối có nêu "không thuộc đơn vị chủ trì"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi "cv.sct" phân công "cv.sct" xử lý nhiệm vụ
    Thì thao tác bị từ chối theo quy tắc "role"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
