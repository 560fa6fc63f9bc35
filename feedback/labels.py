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
# A record closed without an answer from this agency: the citizen is told where it went and why.
TRANSFERRED_MESSAGE = ("Phản ánh {reference} của anh/chị đã được chuyển đến cơ quan có thẩm quyền giải quyết:\n{text}\n"
                       "Cơ quan tiếp nhận sẽ trả lời anh/chị. Xin cảm ơn anh/chị đã phản ánh.")
REJECTED_MESSAGE = ("Rất tiếc, phản ánh {reference} của anh/chị không được thụ lý với lý do:\n{text}\n"
                    "Nếu có thêm thông tin, anh/chị có thể gửi phản ánh mới. Xin cảm ơn anh/chị.")
