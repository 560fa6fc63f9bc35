"""Vietnamese labels for staff pages and reports (one place, so wording stays consistent)."""

STATUS = {
    "new": "Mới",
    "accepted": "Đã tiếp nhận",
    "in_progress": "Đang xử lý",
    "answered": "Đã trả lời",
    "closed": "Đóng",
    "transferred": "Chuyển cơ quan khác",
    "rejected": "Không thụ lý",
}
KIND = {"phan_anh": "Phản ánh", "kien_nghi": "Kiến nghị", "khen": "Khen"}
CHANNEL = {"telegram": "Telegram", "zalo": "Zalo", "terminal": "Trò chuyện thử", "web": "Cổng web"}
ROLE = {"staff": "Cán bộ", "admin": "Quản trị"}

# Citizen-facing text the feedback service sends through the outbox.
REPLY_MESSAGE = "Trả lời phản ánh {reference}:\n{text}"
RATE_INVITE = ("Anh/chị vui lòng cho biết mức độ hài lòng với việc giải quyết: nhắn một số từ 1 (rất không hài lòng) "
               "đến 5 (rất hài lòng), có thể kèm lý do ngắn.")
