# language: vi
Tính năng: Sửa đổi, bổ sung kế hoạch bằng một văn bản sau
  Một văn bản sau ("Kế hoạch sửa đổi, bổ sung") có thể lùi thời hạn, bãi bỏ hoặc bổ sung nhiệm vụ.
  Khi nhiệm vụ của kế hoạch đang được thực hiện, tệp kế hoạch đã sửa không được nạp đè: việc sửa đổi
  được xem trước, rồi áp dụng trong một giao dịch. Mỗi bản nhiệm vụ đang mở bị ảnh hưởng có đúng một
  sự kiện sửa đổi của hệ thống, ghi số và ngày văn bản, giá trị cũ và mới; nhiệm vụ bị bãi bỏ được thu
  hồi với lý do là văn bản đó; nhiệm vụ đã phê duyệt giữ nguyên. Kế hoạch giữ mọi phiên bản.

  Bối cảnh:
    Cho các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày 01/4/2025
    Và những người dùng sau:
      | người dùng | đơn vị        | vai trò                             |
      | cv.phtp    | Phòng Tư pháp | Chuyên viên; Thẩm định              |
      | dm.pnv     | Phòng Nội vụ  | Đầu mối theo dõi; Theo dõi, đôn đốc |
      | pd.huyen   | UBND huyện    | Người phê duyệt                     |
      | cv.xa1     | UBND xã mẫu 1 | Chuyên viên                         |

  Kịch bản: UBND huyện lùi thời hạn nhiệm vụ 3 và 4.a, bãi bỏ nhiệm vụ 2 bằng Kế hoạch số 45/KH-UBND
    Cho nhiệm vụ 4.a của kế hoạch "KT-2025" do "UBND xã mẫu 1" chủ trì đã được phê duyệt ngày 01/4/2025
    Và nhiệm vụ 3 của kế hoạch "KT-2025" do "UBND xã mẫu 1" chủ trì
    Và tệp kế hoạch "KT-2025" đã sửa: thời hạn nhiệm vụ 3 thành "Trước ngày 15 tháng 5 năm 2025", nhiệm vụ 4.a thành "Trước ngày 30 tháng 4 năm 2025", bãi bỏ nhiệm vụ 2
    Khi nạp tệp kế hoạch đã sửa
    Thì việc nạp bị từ chối và không có gì thay đổi; lý do có nêu "task 3: deadline 2025-04-14 → 2025-05-14" và "phancap plan amend"
    Khi xem trước việc sửa đổi theo văn bản số "45/KH-UBND" ngày 01/4/2025
    Thì bản xem trước gồm:
      | nhiệm vụ | thay đổi | trường   |
      | 3        | changed  | deadline |
      | 4.a      | changed  | deadline |
      | 2        | removed  |          |
    Và không có gì thay đổi
    Khi áp dụng việc sửa đổi theo văn bản số "45/KH-UBND" ngày 01/4/2025
    Thì thời hạn của nhiệm vụ là 14/5/2025
    Và dòng cuối của lịch sử là việc sửa đổi của hệ thống theo văn bản số "45/KH-UBND" ngày 01/4/2025, thời hạn cũ 14/4/2025 và thời hạn mới 14/5/2025
    Và mỗi bản đang mở của nhiệm vụ 3 và 4.a có đúng một sự kiện sửa đổi
    Và nhiệm vụ 2 của "Phòng Tư pháp" ở trạng thái "Đã thu hồi", lý do có nêu "45/KH-UBND"
    Và nhiệm vụ 4.a của "UBND xã mẫu 1" vẫn "Đã phê duyệt", lịch sử không đổi
    Và kế hoạch "KT-2025" có phiên bản 1 ban đầu và phiên bản 2 theo văn bản số "45/KH-UBND" ngày 01/4/2025
    Và kiểm tra nhật ký không phát hiện sai lệch
