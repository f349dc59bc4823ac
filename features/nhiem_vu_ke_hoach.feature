# language: vi
Tính năng: Mọi nhiệm vụ của hai kế hoạch được giao đúng đơn vị, đúng thời hạn, đúng quy trình
  Lúc kế hoạch được giao, mỗi nhiệm vụ có số trở thành một bản riêng cho từng đơn vị chủ trì
  ("Các Sở, ngành" là mỗi Sở một bản; "chính quyền địa phương cấp cơ sở" là mỗi xã, phường một bản).
  Mỗi bản mang đầu mối theo dõi của nhiệm vụ (kế hoạch không nêu thì Sở Nội vụ, Phòng Nội vụ theo dõi),
  ngày cuối cùng đọc từ thời hạn kế hoạch ghi ("Trước ngày 15/4/2025" là hạn chót 14/4/2025) và
  quy trình mà kế hoạch yêu cầu. Các đề mục (1, 2 của Hà Nội; 4 của Kon Tum) chỉ gom nhiệm vụ con.
  Hà Nội có 126 xã, phường theo danh mục đơn vị hành chính (Quyết định 19/2025/QĐ-TTg); danh sách xã,
  thị trấn của huyện thuộc Kon Tum là danh sách mẫu 5 đơn vị.

  Bối cảnh:
    Cho các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày 01/4/2025

  Khung kịch bản: Nhiệm vụ <nhiệm vụ> của kế hoạch <kế hoạch>: <số bản> bản, ngày cuối cùng: <ngày cuối cùng>
    Khi xem nhiệm vụ <nhiệm vụ> của kế hoạch "<kế hoạch>"
    Thì kế hoạch ghi đầu mối "<đầu mối>", chủ trì "<chủ trì>", thời hạn "<thời hạn>", quy trình "<quy trình>"
    Và nhiệm vụ được giao thành <số bản> bản, mỗi đơn vị thuộc "<chủ trì>" một bản
    Và mọi bản do "<theo dõi>" theo dõi, ngày cuối cùng là "<ngày cuối cùng>", theo quy trình "<quy trình áp dụng>"

    Dữ liệu: Kế hoạch của UBND Thành phố Hà Nội
      | kế hoạch | nhiệm vụ | đầu mối                  | chủ trì                                                                  | thời hạn                                  | quy trình              | số bản | theo dõi                 | ngày cuối cùng | quy trình áp dụng                                              |
      | HN-2025  | 1.1      | Sở Tư pháp               | Các Sở, ngành                                                            | Trước ngày 15/4/2025                      | không nêu              | 15     | Sở Tư pháp               | 14/4/2025      | Nhiệm vụ của kế hoạch                                          |
      | HN-2025  | 1.2      | Sở Nội vụ                | Các Sở, ngành                                                            | Trước ngày 15/4/2025                      | Theo quy trình rút gọn | 15     | Sở Nội vụ                | 14/4/2025      | Xây dựng Nghị quyết, Quyết định theo trình tự, thủ tục rút gọn |
      | HN-2025  | 1.3      | Sở Tài chính             | Các Sở, ban, ngành                                                       | Trước ngày 31/12/2025                     | không nêu              | 15     | Sở Tài chính             | 30/12/2025     | Nhiệm vụ của kế hoạch                                          |
      | HN-2025  | 2.1      | không nêu                | Các Sở, ban, ngành, chính quyền địa phương cấp cơ sở                     | Trước ngày 30/4/2025                      | không nêu              | 141    | Sở Nội vụ                | 29/4/2025      | Nhiệm vụ của kế hoạch                                          |
      | HN-2025  | 2.2      | không nêu                | Các Sở, ban, ngành, chính quyền địa phương cấp cơ sở                     | Trước ngày 31/8/2025                      | không nêu              | 141    | Sở Nội vụ                | 30/8/2025      | Nhiệm vụ của kế hoạch                                          |
      | HN-2025  | 2.3      | Sở Nội vụ                | Các Sở, ban, ngành, chính quyền địa phương cấp cơ sở                     | Trước ngày 30/9/2025                      | không nêu              | 141    | Sở Nội vụ                | 29/9/2025      | Nhiệm vụ của kế hoạch                                          |
      | HN-2025  | 2.4      | Sở Tài chính             | Các Sở, ban, ngành, chính quyền địa phương cấp cơ sở                     | Trong năm 2025                            | không nêu              | 141    | Sở Tài chính             | 31/12/2025     | Nhiệm vụ của kế hoạch                                          |
      | HN-2025  | 2.5      | Sở Khoa học và Công nghệ | Các Sở, ban, ngành                                                       | Theo kế hoạch chuyển đổi số của Thành phố | không nêu              | 15     | Sở Khoa học và Công nghệ | không có       | Nhiệm vụ của kế hoạch                                          |
      | HN-2025  | 3        | không nêu                | Các Sở, ban, ngành đầu mối chịu trách nhiệm theo dõi nhiệm vụ; Sở Nội vụ | Trong năm 2025                            | không nêu              | 4      | Sở Nội vụ                | 31/12/2025     | Nhiệm vụ của kế hoạch                                          |

    Dữ liệu: Kế hoạch của UBND huyện (tỉnh Kon Tum)
      | kế hoạch | nhiệm vụ | đầu mối   | chủ trì                                                        | thời hạn                                                  | quy trình | số bản | theo dõi     | ngày cuối cùng | quy trình áp dụng     |
      | KT-2025  | 1        | không nêu | Các cơ quan chuyên môn thuộc UBND huyện; UBND các xã, thị trấn | Trước ngày 06 tháng 4 năm 2025                            | không nêu | 18     | Phòng Nội vụ | 5/4/2025       | Nhiệm vụ của kế hoạch |
      | KT-2025  | 2        | không nêu | Phòng Tư pháp                                                  | Theo yêu cầu của cấp có thẩm quyền                        | không nêu | 1      | Phòng Nội vụ | không có       | Nhiệm vụ của kế hoạch |
      | KT-2025  | 3        | không nêu | Các cơ quan chuyên môn thuộc UBND huyện; UBND các xã, thị trấn | Trước ngày 15 tháng 4 năm 2025                            | không nêu | 18     | Phòng Nội vụ | 14/4/2025      | Nhiệm vụ của kế hoạch |
      | KT-2025  | 4.a      | không nêu | Các cơ quan chuyên môn thuộc UBND huyện; UBND các xã, thị trấn | Trước ngày 20 tháng 4 năm 2025                            | không nêu | 18     | Phòng Nội vụ | 19/4/2025      | Nhiệm vụ của kế hoạch |
      | KT-2025  | 4.b      | không nêu | Các cơ quan chuyên môn thuộc UBND huyện; UBND các xã, thị trấn | Chậm nhất ngày 30 tháng 6 năm 2025                        | không nêu | 18     | Phòng Nội vụ | 30/6/2025      | Nhiệm vụ của kế hoạch |
      | KT-2025  | 5        | không nêu | Các cơ quan chuyên môn thuộc UBND huyện; UBND các xã, thị trấn | Từ ngày 01 tháng 3 năm 2025 đến ngày 31 tháng 12 năm 2026 | không nêu | 18     | Phòng Nội vụ | 31/12/2026     | Nhiệm vụ của kế hoạch |

  Khung kịch bản: Đề mục <đề mục> của kế hoạch <kế hoạch> chỉ gom các nhiệm vụ con, không giao cho đơn vị nào
    Khi xem kế hoạch "<kế hoạch>"
    Thì đề mục <đề mục> "<tên>" không được giao cho đơn vị nào
    Và các nhiệm vụ con của đề mục <đề mục> là <nhiệm vụ con>

    Dữ liệu:
      | kế hoạch | đề mục | tên                                                                  | nhiệm vụ con              |
      | HN-2025  | 1      | Hoàn thiện các quy định của pháp luật theo hướng tăng cường phân cấp | 1.1, 1.2 và 1.3           |
      | HN-2025  | 2      | Nâng cao năng lực thực thi của chính quyền địa phương cấp cơ sở      | 2.1, 2.2, 2.3, 2.4 và 2.5 |
      | KT-2025  | 4      | Đề xuất nội dung văn bản quy phạm pháp luật của UBND huyện           | 4.a và 4.b                |

  Khung kịch bản: Kế hoạch <kế hoạch> không có nhiệm vụ nào ngoài bảng trên
    Khi xem kế hoạch "<kế hoạch>"
    Thì kế hoạch có các nhiệm vụ <nhiệm vụ> và giao tổng cộng <tổng số bản> bản nhiệm vụ

    Dữ liệu:
      | kế hoạch | nhiệm vụ                                    | tổng số bản |
      | HN-2025  | 1.1, 1.2, 1.3, 2.1, 2.2, 2.3, 2.4, 2.5 và 3 | 628         |
      | KT-2025  | 1, 2, 3, 4.a, 4.b và 5                      | 91          |
