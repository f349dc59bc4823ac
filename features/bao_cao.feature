# language: vi
Tính năng: Chế độ báo cáo định kỳ của hai kế hoạch
  Kế hoạch Hà Nội (mục III.3): chính quyền địa phương cấp cơ sở báo cáo các Sở đầu mối chịu trách
  nhiệm theo dõi định kỳ 6 tháng (trước ngày 10 tháng 6) và hằng năm (trước ngày 10 tháng 12); các
  Sở Tư pháp, Tài chính, Khoa học và Công nghệ gửi Sở Nội vụ trước ngày 14 tháng 6 và 14 tháng 12
  để tổng hợp, báo cáo UBND Thành phố. Kế hoạch không nêu ngày Sở Nội vụ báo cáo UBND Thành phố, nên
  báo cáo ấy chỉ được tạo khi có ngày được cấu hình. Kế hoạch Kon Tum (mục III.2): Phòng Nội vụ báo
  cáo UBND huyện kết quả thực hiện, không nêu ngày. "Trước ngày 10 tháng 6" nghĩa là hạn chót 9/6.
  Số liệu trong báo cáo lấy từ chính các nhiệm vụ và báo cáo trong hệ thống. Mỗi đơn vị lập một báo
  cáo cho mỗi kỳ và gửi đến tất cả nơi nhận (Nghị định 30/2020/NĐ-CP: một văn bản, nhiều nơi nhận),
  không lập một bản cho mỗi nơi nhận.

  Bối cảnh:
    Cho các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày 01/4/2025
    Và những người dùng sau:
      | người dùng | đơn vị                | vai trò                             |
      | dm.snv     | Sở Nội vụ             | Đầu mối theo dõi; Theo dõi, đôn đốc |
      | pd.ubnd    | UBND Thành phố Hà Nội | Người phê duyệt                     |
      | cv.phtp    | Phòng Tư pháp         | Chuyên viên; Thẩm định              |
      | dm.pnv     | Phòng Nội vụ          | Đầu mối theo dõi; Theo dõi, đôn đốc |
      | pd.huyen   | UBND huyện            | Người phê duyệt                     |

  Khung kịch bản: Báo cáo <kỳ> năm 2025 của kế hoạch Hà Nội đi từ xã, phường lên các Sở đầu mối, rồi lên Sở Nội vụ
    Khi có yêu cầu báo cáo định kỳ "<kỳ>" năm 2025 theo kế hoạch "HN-2025"
    Thì các báo cáo được tạo là:
      | đơn vị báo cáo                   | gửi                                                            | số báo cáo | ngày cuối cùng |
      | Chính quyền địa phương cấp cơ sở | Sở Tư pháp; Sở Nội vụ; Sở Tài chính; Sở Khoa học và Công nghệ | 126        | <hạn xã>       |
      | Sở Tư pháp                       | Sở Nội vụ                                                      | 1          | <hạn Sở>       |
      | Sở Tài chính                     | Sở Nội vụ                                                      | 1          | <hạn Sở>       |
      | Sở Khoa học và Công nghệ         | Sở Nội vụ                                                      | 1          | <hạn Sở>       |
    Và báo cáo "Báo cáo tổng hợp của Sở Nội vụ" chờ ngày được cấu hình vì kế hoạch không nêu ngày
    Khi yêu cầu lại, với ngày <ngày cấu hình> được cấu hình cho báo cáo mà kế hoạch không nêu ngày
    Thì các báo cáo được tạo là:
      | đơn vị báo cáo | gửi            | số báo cáo | ngày cuối cùng  |
      | Sở Nội vụ      | UBND Thành phố | 1          | <ngày cấu hình> |

    Dữ liệu:
      | kỳ       | hạn xã    | hạn Sở     | ngày cấu hình |
      | 6 tháng  | 9/6/2025  | 13/6/2025  | 20/6/2025     |
      | hằng năm | 9/12/2025 | 13/12/2025 | 20/12/2025    |

  Kịch bản: Một phường lập một báo cáo 6 tháng, gửi cả bốn Sở đầu mối; mỗi Sở nhận được ngay khi phường gửi
    Cho đã có yêu cầu báo cáo định kỳ "6 tháng" năm 2025 theo kế hoạch "HN-2025"
    Và "UBND phường Hoàn Kiếm" có thêm người dùng "cv.hoankiem" với vai trò "Chuyên viên"
    Thì "UBND phường Hoàn Kiếm" có một báo cáo cho kỳ này, gửi đến:
      | nơi nhận                 | đã nhận |
      | Sở Tư pháp               | chưa    |
      | Sở Nội vụ                | chưa    |
      | Sở Tài chính             | chưa    |
      | Sở Khoa học và Công nghệ | chưa    |
    Khi "cv.hoankiem" gửi báo cáo của đơn vị với nội dung "Kính gửi các Sở" và các mục:
      | mục                           | nội dung                                          |
      | Kết quả thực hiện             | Phường đã rà soát 12 thủ tục hành chính           |
      | Tồn tại, hạn chế, nguyên nhân | Thiếu công chức chuyên trách                      |
      | Kiến nghị, đề xuất            | Đề nghị phân cấp cho phường 3 nội dung            |
    Thì "UBND phường Hoàn Kiếm" có một báo cáo cho kỳ này, gửi đến:
      | nơi nhận                 | đã nhận |
      | Sở Tư pháp               | có      |
      | Sở Nội vụ                | có      |
      | Sở Tài chính             | có      |
      | Sở Khoa học và Công nghệ | có      |
    Và văn bản báo cáo ghi "Số: …/BC-UBND", gửi 4 nơi nhận, với các mục đơn vị đã viết

  Kịch bản: Sau ngày 10/6, báo cáo của các xã, phường chưa gửi Sở Nội vụ là quá hạn và hiện trong báo cáo tổng hợp của Sở Nội vụ
    Cho đã có yêu cầu báo cáo định kỳ "6 tháng" năm 2025 theo kế hoạch "HN-2025"
    Và "UBND phường Hoàn Kiếm" có thêm người dùng "cv.hoankiem" với vai trò "Chuyên viên"
    Và "cv.hoankiem" đã gửi báo cáo cho "Sở Nội vụ" ngày 05/6/2025 với nội dung "Phường đã rà soát, đề xuất 3 nội dung phân cấp"
    Và "dm.snv" đã tiếp nhận báo cáo của "UBND phường Hoàn Kiếm"
    Khi đồng hồ chuyển sang ngày 10/6/2025
    Và hệ thống quét thời hạn
    Thì báo cáo gửi "Sở Nội vụ" của "Chính quyền địa phương cấp cơ sở" ở trạng thái:
      | đơn vị                | trạng thái   |
      | UBND phường Hoàn Kiếm | Đã tiếp nhận |
      | UBND phường Ba Đình   | Quá hạn      |
      | UBND phường Cầu Giấy  | Quá hạn      |
      | UBND phường Hà Đông   | Quá hạn      |
      | UBND xã Sóc Sơn       | Quá hạn      |
      | UBND xã Đông Anh      | Quá hạn      |
      | UBND xã Gia Lâm       | Quá hạn      |
      | UBND xã Ba Vì         | Quá hạn      |
      | 118 xã, phường còn lại | Quá hạn     |
    Và báo cáo của "Sở Tư pháp" gửi "Sở Nội vụ" ở trạng thái "Chưa gửi"
    Khi yêu cầu lại, với ngày 20/6/2025 được cấu hình cho báo cáo mà kế hoạch không nêu ngày
    Và "Sở Nội vụ" lập báo cáo gửi "UBND Thành phố"
    Thì báo cáo liệt kê các báo cáo chưa nhận hoặc nộp muộn:
      | đơn vị                   | trạng thái | nộp muộn |
      | UBND phường Ba Đình      | Quá hạn    | có       |
      | UBND phường Cầu Giấy     | Quá hạn    | có       |
      | UBND phường Hà Đông      | Quá hạn    | có       |
      | UBND xã Sóc Sơn          | Quá hạn    | có       |
      | UBND xã Đông Anh         | Quá hạn    | có       |
      | UBND xã Gia Lâm          | Quá hạn    | có       |
      | UBND xã Ba Vì            | Quá hạn    | có       |
      | 118 xã, phường còn lại   | Quá hạn    | có       |
      | Sở Tư pháp               | Chưa gửi   | không    |
      | Sở Tài chính             | Chưa gửi   | không    |
      | Sở Khoa học và Công nghệ | Chưa gửi   | không    |
    Và báo cáo ghi đã tiếp nhận báo cáo của "UBND phường Hoàn Kiếm"

  Kịch bản: Phòng Nội vụ báo cáo UBND huyện kết quả thực hiện kế hoạch Kon Tum, theo ngày được cấu hình
    Cho nhiệm vụ 3 của kế hoạch "KT-2025" do "Phòng Tư pháp" chủ trì đã được phê duyệt ngày 10/4/2025
    Và "Phòng Nội vụ" có thêm người dùng "cv.pnv" với vai trò "Chuyên viên"
    Khi có yêu cầu báo cáo định kỳ "6 tháng" năm 2025 theo kế hoạch "KT-2025"
    Thì không có báo cáo nào được tạo; báo cáo "Báo cáo kết quả thực hiện Kế hoạch" chờ ngày được cấu hình vì kế hoạch không nêu ngày
    Khi yêu cầu lại, với ngày 30/6/2025 được cấu hình cho báo cáo mà kế hoạch không nêu ngày
    Thì các báo cáo được tạo là:
      | đơn vị báo cáo | gửi        | số báo cáo | ngày cuối cùng |
      | Phòng Nội vụ   | UBND huyện | 1          | 30/6/2025      |
    Khi đồng hồ chuyển sang ngày 20/4/2025
    Và hệ thống quét thời hạn
    Và "Phòng Nội vụ" lập báo cáo gửi "UBND huyện"
    Thì báo cáo có số liệu của toàn kế hoạch ngày 20/4/2025:
      | phân loại                 | số nhiệm vụ |
      | Đã hoàn thành đúng hạn    | 1           |
      | Đã hoàn thành quá hạn     | 0           |
      | Chưa hoàn thành trong hạn | 36          |
      | Chưa hoàn thành quá hạn   | 53          |
      | Không có thời hạn         | 1           |
    Và báo cáo của "Phòng Nội vụ" gửi "UBND huyện" ở trạng thái "Chưa gửi"
    Khi "cv.pnv" thực hiện gửi báo cáo cho "UBND huyện" với nội dung "Đã hoàn thành 1/54 nhiệm vụ đến hạn; đề nghị đôn đốc"
    Và "pd.huyen" thực hiện "Tiếp nhận"
    Thì báo cáo của "Phòng Nội vụ" gửi "UBND huyện" ở trạng thái "Đã tiếp nhận"
