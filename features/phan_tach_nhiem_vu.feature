# language: vi
Tính năng: Phân tách nhiệm vụ: không ai tự quyết định về bước của chính mình
  Một người có thể giữ nhiều vai trò ở đơn vị mình (chuyên viên, đầu mối theo dõi, thẩm định). Khi đơn
  vị vừa chủ trì vừa theo dõi hoặc thẩm định chính nhiệm vụ đó, người đã gửi kết quả không được tự xem
  xét, tự trình; người đã gửi hồ sơ không được tự thẩm định; người đã nêu vướng mắc không được tự trả
  lời hay tự trình UBND. Quy trình khai báo điều đó bằng `not_by` trong tệp YAML; thao tác bị từ chối
  theo quy tắc "duty", không thay đổi gì, và không hiện trong các thao tác người đó được làm. Một người
  khác có cùng vai trò vẫn làm được. Góp ý, đôn đốc và thu hồi không bị hạn chế.

  Bối cảnh:
    Cho các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày 01/4/2025
    Và những người dùng sau:
      | người dùng | đơn vị     | vai trò                             |
      | dm.stp     | Sở Tư pháp | Đầu mối theo dõi; Thẩm định         |
      | dm.snv     | Sở Nội vụ  | Đầu mối theo dõi; Theo dõi, đôn đốc |
    Và "Sở Tư pháp" có thêm người dùng "cv.stp" với vai trò "Chuyên viên; Đầu mối theo dõi; Thẩm định"

  Kịch bản: Chuyên viên kiêm đầu mối của Sở Tư pháp không tự xem xét kết quả mình đã gửi
    Cho nhiệm vụ 1.1 của kế hoạch "HN-2025" do "Sở Tư pháp" chủ trì
    Và "cv.stp" đã thực hiện "Gửi đầu mối xem xét"
    Khi "cv.stp" thực hiện "Trình cấp có thẩm quyền"
    Thì thao tác bị từ chối theo quy tắc "duty"
    Và lý do từ chối có nêu "Người đã gửi đầu mối xem xét không được tự trình cấp có thẩm quyền (phân tách nhiệm vụ)"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Và "cv.stp" không được thực hiện "Trình cấp có thẩm quyền"
    Và "cv.stp" không được thực hiện "Trả lại đơn vị chủ trì"
    Và "cv.stp" được thực hiện "Góp ý"
    Và "dm.stp" được thực hiện "Trình cấp có thẩm quyền" và "Trả lại đơn vị chủ trì"
    Khi "cv.stp" thực hiện "Trả lại đơn vị chủ trì" với ý kiến "Tự trả lại để sửa"
    Thì thao tác bị từ chối theo quy tắc "duty"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi "dm.stp" thực hiện "Trình cấp có thẩm quyền"
    Thì nhiệm vụ ở trạng thái "Đã trình" với phiên bản 3

  Kịch bản: Người soạn hồ sơ kiêm thẩm định của Sở Tư pháp không tự thẩm định hồ sơ của mình
    Cho nhiệm vụ 1.2 của kế hoạch "HN-2025" do "Sở Tư pháp" chủ trì
    Và "cv.stp" đã thực hiện "Gửi hồ sơ thẩm định" kèm hồ sơ "Tờ trình, dự thảo Quyết định, bảng so sánh"
    Khi "cv.stp" thực hiện "Thẩm định xong, trình ban hành" kèm văn bản số "45/BC-STP"
    Thì thao tác bị từ chối theo quy tắc "duty"
    Và lý do từ chối có nêu "Người đã gửi hồ sơ thẩm định không được tự thẩm định xong, trình ban hành"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Và "cv.stp" không được thực hiện "Thẩm định xong, trình ban hành"
    Khi "dm.stp" thực hiện "Thẩm định xong, trình ban hành" kèm văn bản số "45/BC-STP"
    Thì nhiệm vụ ở trạng thái "Đã trình ban hành" với phiên bản 3

  Kịch bản: Người của Sở Nội vụ nêu vướng mắc về nhiệm vụ của Sở thì không tự trả lời
    Cho nhiệm vụ 2.1 của kế hoạch "HN-2025" do "Sở Nội vụ" chủ trì
    Và "Sở Nội vụ" có thêm người dùng "tp.snv" với vai trò "Chuyên viên; Theo dõi, đôn đốc"
    Khi "tp.snv" nêu vướng mắc "Chưa rõ thẩm quyền phê duyệt danh mục thủ tục phân cấp"
    Thì vướng mắc về nhiệm vụ 2.1 của "Sở Nội vụ" được gửi "Sở Nội vụ", ở trạng thái "Đã gửi Sở Nội vụ"
    Và "tp.snv" không được thực hiện "Trả lời, hướng dẫn"
    Và "tp.snv" không được thực hiện "Trình UBND xem xét"
    Khi "tp.snv" thực hiện "Trả lời, hướng dẫn" với ý kiến "Tự trả lời"
    Thì thao tác bị từ chối theo quy tắc "duty"
    Và lý do từ chối có nêu "Người đã nêu vướng mắc, kiến nghị không được tự trả lời, hướng dẫn"
    Và trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi
    Khi "dm.snv" thực hiện "Trả lời, hướng dẫn" với ý kiến "Thực hiện theo Nghị định phân cấp của Chính phủ"
    Thì vướng mắc ở trạng thái "Đã trả lời"
