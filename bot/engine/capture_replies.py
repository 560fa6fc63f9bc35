"""What the capture flow says about long stories, questions typed mid-flow and attachments.

Kept apart from bot/engine/replies.py (which merges this table into its own) so the capture
wording is reviewed in one place. Every text says exactly what was kept: a story is never cut and
a file never refused without the citizen being told.
"""

from __future__ import annotations

CAPTURE_TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "fb_content_length": "(đã ghi đủ {chars} ký tự)",
        "fb_story_more": "Tôi đã ghi thêm đoạn này vào nội dung phản ánh (tổng cộng {chars} ký tự).",
        "fb_story_cut": (
            "Nội dung phản ánh dài quá {limit} ký tự nên tôi chỉ ghi được {kept} ký tự đầu, đến đoạn “…{tail}”. "
            "Phần sau đó ({dropped} ký tự) chưa được ghi; anh/chị có thể tóm tắt phần còn lại trong một phản ánh khác."
        ),
        "fb_question_or_feedback": (
            "Anh/chị muốn hỏi thủ tục này, hay tiếp tục phản ánh?\n1. Hỏi thủ tục   2. Tiếp tục phản ánh"
        ),
        "fb_choice_ask": "Hỏi thủ tục",
        "fb_choice_continue": "Tiếp tục phản ánh",
        "fb_choice_send": "Gửi",
        "fb_choice_edit": "Sửa nội dung",
        "fb_choice_cancel": "Hủy",
        "fb_left_for_question": (
            "(Phản ánh anh/chị đang soạn chưa được gửi. Khi cần, anh/chị nhắn /phananh để gửi phản ánh.)"
        ),
        "fb_stale_choice": "Lựa chọn này đã hết hiệu lực. Anh/chị cần gửi phản ánh thì nhắn /phananh giúp tôi.",
        "fb_attached": "Đã nhận {count} tệp đính kèm (tổng cộng {total} tệp sẽ gửi kèm phản ánh).",
        "fb_attachment_type": (
            "Tệp “{name}” không được nhận: tôi chỉ nhận ảnh JPEG, PNG hoặc tệp PDF. Anh/chị vui lòng gửi lại đúng định dạng."
        ),
        "fb_attachment_size": (
            "Tệp “{name}” không được nhận vì quá lớn ({size} MB; tối đa {limit} MB). Anh/chị vui lòng gửi tệp nhỏ hơn."
        ),
        "fb_attachment_many": "Mỗi phản ánh nhận tối đa {limit} tệp; tệp “{name}” không được nhận thêm.",
        "fb_attachments_line": "• Tệp đính kèm: {count}",
        "fb_attachment_failed": (
            "Xin lỗi, tệp “{name}” gửi kèm phản ánh {reference} không lưu được: {why}. Phản ánh vẫn được tiếp nhận; "
            "anh/chị có thể gửi lại tệp khi cơ quan đề nghị bổ sung."
        ),
        "fb_attachment_default_name": "ảnh",
        "fb_attachment_no_url": "không có địa chỉ tải tệp",
        "fb_attachment_unreachable": "không tải được tệp từ máy chủ của ứng dụng nhắn tin",
        # the channel's command menu (Telegram's setMyCommands), one line per command
        "cmd_start": "Bắt đầu trò chuyện với trợ lý thủ tục hành chính",
        "cmd_help": "Cách hỏi và các lệnh",
        "cmd_phananh": "Gửi phản ánh, kiến nghị",
        "cmd_tracuu": "Tra cứu phản ánh đã gửi (kèm mã, ví dụ /tracuu PA-2026-7K3F9Q)",
        "cmd_huy": "Hủy việc đang làm dở (phản ánh chưa gửi, câu hỏi đang chọn)",
    },
    "en": {
        "fb_content_length": "({chars} characters kept)",
        "fb_story_more": "I added this part to your feedback ({chars} characters in all).",
        "fb_story_cut": (
            "Your feedback is longer than {limit} characters, so I kept the first {kept}, up to “…{tail}”. The rest "
            "({dropped} characters) was not kept; please summarise it in another feedback."
        ),
        "fb_question_or_feedback": "Do you want to ask about this procedure, or continue your feedback?\n1. Ask   2. Continue",
        "fb_choice_ask": "Ask",
        "fb_choice_continue": "Continue",
        "fb_choice_send": "Send",
        "fb_choice_edit": "Edit the content",
        "fb_choice_cancel": "Cancel",
        "fb_left_for_question": "(Your feedback draft was not sent. Type /phananh when you want to send feedback.)",
        "fb_stale_choice": "That choice has expired. To send feedback, type /phananh.",
        "fb_attached": "Received {count} attachment(s) ({total} in all will be sent with your feedback).",
        "fb_attachment_type": "The file “{name}” was not accepted: only JPEG or PNG photos and PDF files are.",
        "fb_attachment_size": "The file “{name}” was not accepted: it is too large ({size} MB; at most {limit} MB).",
        "fb_attachment_many": "At most {limit} files per feedback; “{name}” was not added.",
        "fb_attachments_line": "• Attachments: {count}",
        "fb_attachment_failed": "Sorry, the file “{name}” sent with {reference} could not be stored: {why}. The feedback itself was recorded.",
        "fb_attachment_default_name": "photo",
        "fb_attachment_no_url": "the file has no download address",
        "fb_attachment_unreachable": "the file could not be fetched from the messaging app's server",
    },
}
