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
