"""Vietnamese labels for staff pages and reports (one place, so wording stays consistent)."""

STATUS = {
    "new": "Mới",
    "accepted": "Đã tiếp nhận",
    "in_progress": "Đang xử lý",
    "answered": "Đã trả lời",
    "closed": "Đóng",
    "transferred": "Chuyển cơ quan khác",
    "rejected": "Không thụ lý",
    "waiting": "Chờ người dân bổ sung",
}
KIND = {"phan_anh": "Phản ánh", "kien_nghi": "Kiến nghị", "khen": "Khen"}
CHANNEL = {"telegram": "Telegram", "zalo": "Zalo", "terminal": "Trò chuyện thử", "web": "Cổng web"}
ROLE = {"staff": "Cán bộ", "admin": "Quản trị", "editor": "Biên tập"}

# Citizen-facing text the feedback service sends through the outbox.
REPLY_MESSAGE = "Trả lời phản ánh {reference}:\n{text}"
INFO_REQUEST = ("Để giải quyết phản ánh {reference}, cơ quan đề nghị anh/chị bổ sung thông tin:\n{text}\n"
                "Thời hạn giải quyết tạm dừng cho đến khi cơ quan nhận được thông tin bổ sung.")
RATE_INVITE = ("Anh/chị vui lòng cho biết mức độ hài lòng với việc giải quyết: nhắn một số từ 1 (rất không hài lòng) "
               "đến 5 (rất hài lòng), có thể kèm lý do ngắn.")
