"""Every citizen-facing sentence lives here (Vietnamese first, English for English questions).

Answers lead with what was asked (the aspect), then the essentials, then the source: procedure
name and code, implementing level, service level and the portal link. Kept short: a chat bubble,
not a legal document; the portal link carries the full text.
"""

from __future__ import annotations

import datetime as dt

from bot.engine.capture_replies import CAPTURE_TEXT
from knowledge.current import duration_today, fee_today
from knowledge.schema import Channel, FaqEntry, Procedure
from knowledge.textfit import SEE_MORE, fit, shorten

PORTAL = "https://dichvucong.gov.vn"
# the national portal's free support line (also named in the reform FAQ): where a citizen the bot
# could not help can ask a person which procedure fits
HOTLINE = "1800 1096"

TEXT = {
    "vi": {
        "greeting": (
            "Xin chào anh/chị! Tôi là trợ lý thủ tục hành chính. Anh/chị có thể hỏi tôi về giấy tờ cần chuẩn bị, "
            "nơi nộp, thời gian, lệ phí và cách làm trực tuyến của các thủ tục (khai sinh, căn cước, cư trú, đất đai, "
            "hộ kinh doanh…), về cải cách hành chính, hoặc gửi phản ánh, kiến nghị."
        ),
        "thanks": "Dạ, rất vui được hỗ trợ anh/chị. Anh/chị cần hỏi thêm gì cứ nhắn cho tôi nhé!",
        "goodbye": "Dạ, chào anh/chị. Chúc anh/chị làm thủ tục thuận lợi!",
        "about_bot": (
            "Tôi là trợ lý tự động (không phải cán bộ), trả lời dựa trên Cơ sở dữ liệu quốc gia về thủ tục hành chính. "
            "Tôi có thể: hướng dẫn hồ sơ, nơi nộp, thời hạn, lệ phí, cách nộp trực tuyến; giải thích về cải cách hành chính; "
            "tiếp nhận phản ánh, kiến nghị."
        ),
        "empty": "Anh/chị vui lòng nhập câu hỏi, ví dụ: “Đăng ký khai sinh cần những giấy tờ gì?”",
        "decline": (
            "Xin lỗi anh/chị, câu hỏi này nằm ngoài phạm vi hỗ trợ của tôi (thủ tục hành chính và cải cách hành chính). "
            "Anh/chị có thể tra cứu thủ tục tại Cổng Dịch vụ công quốc gia {portal} hoặc hỏi trực tiếp Bộ phận Một cửa "
            "của UBND xã/phường nơi mình cư trú."
        ),
        "unsure": (
            "Xin lỗi, tôi chưa tìm được thủ tục phù hợp với câu hỏi của anh/chị. Anh/chị có thể nói rõ hơn việc cần làm "
            "(ví dụ: “cấp lại căn cước bị mất”, “đăng ký tạm trú”), tra cứu tại {portal} hoặc gọi tổng đài hỗ trợ "
            "{hotline} (miễn cước)."
        ),
        "clarify": "Anh/chị đang hỏi về thủ tục nào dưới đây? Vui lòng chọn số:",
        "other_choices": "Nếu anh/chị hỏi thủ tục khác, vui lòng chọn số:",
        "status": (
            "Để tra cứu tiến độ hồ sơ, anh/chị dùng mã hồ sơ trên giấy tiếp nhận, hẹn trả kết quả tại mục “Tra cứu hồ sơ” "
            "của Cổng Dịch vụ công quốc gia {portal} hoặc cổng dịch vụ công của tỉnh, hoặc liên hệ Bộ phận Một cửa nơi đã nộp."
        ),
        "status_code": "Tôi đã nhận mã {code}. ",
        "status_feedback": (
            "Mã {code} là mã phản ánh, kiến nghị. Tôi chưa tìm thấy phản ánh này trong những gì anh/chị đã gửi qua kênh này; "
            "anh/chị vui lòng kiểm tra lại mã hoặc gửi từ đúng tài khoản đã dùng để phản ánh."
        ),
        "where": "Anh/chị nộp tại {agency}.",
        "where_level": "Anh/chị nộp tại cơ quan {level}.",
        "other_level": "Trường hợp thuộc {level}: nộp tại {agency}.",
        "source": "Nguồn: CSDL quốc gia về TTHC, mã {code}",
        "documents": "Hồ sơ cần chuẩn bị:",
        "more_documents": "… và {n} giấy tờ khác (xem đủ ở đường dẫn bên dưới).",
        "no_documents": "Danh mục chưa ghi thành phần hồ sơ; anh/chị xem ở đường dẫn bên dưới.",
        "fee": "Phí, lệ phí: {fees}.",
        "time": "Thời hạn giải quyết: {times}.",
        "online_full": "Anh/chị nộp trực tuyến toàn trình được (Cổng Dịch vụ công quốc gia, VNeID), không phải đến cơ quan.",
        "online_partial": "Anh/chị nộp trực tuyến được một phần; một số bước vẫn phải đến cơ quan.",
        "online_none": "Chưa nộp trực tuyến được; anh/chị nộp trực tiếp{post}.",
        "post_too": " hoặc qua bưu chính công ích",
        "steps": "Các bước thực hiện:",
        "more_steps": "… và {n} bước nữa (xem ở đường dẫn bên dưới).",
        "no_steps": "Danh mục chưa ghi các bước; anh/chị xem ở đường dẫn bên dưới.",
        "eligibility": "Đối tượng thực hiện: {applicants}.",
        "conditions": "Điều kiện: {conditions}",
        "no_eligibility": "Danh mục thủ tục không ghi đối tượng hay điều kiện riêng.",
        "asked_quote": "Danh mục thủ tục ghi: “{quote}”.",
        "asked_tax_silent": "Danh mục thủ tục không nói có phải nộp thuế hay không; nghĩa vụ thuế (nếu có) do cơ quan thuế xác định.",
        "asked_proxy_quote": "Về ủy quyền, danh mục thủ tục ghi: “{quote}”.",
        "asked_proxy_silent": "Danh mục thủ tục không nói về việc ủy quyền hay nhờ người khác làm thay.",
        "asked_other_channels": "Ngoài nộp trực tiếp còn có thể {channels}.",
        "asked_applicants": "Đối tượng thực hiện: {applicants}.",
        "asked_required_silent": "Danh mục thủ tục không nói thủ tục này có bắt buộc hay không.",
        "choice_documents": "Xem hồ sơ cần chuẩn bị",
        "choice_steps": "Xem các bước",
        "choice_fee": "Lệ phí",
        "choice_online": "Nộp trực tuyến",
        "choices_intro": "Nhắn số để xem thêm:",
        "choice_more": "Đọc tiếp",
        "continued": "tiếp",
        "in_vietnamese": "",
        "vietnamese_name": "",
        "free": "miễn phí",
        "no_fee_info": "chưa có thông tin, anh/chị vui lòng xem chi tiết",
        "no_time_info": "chưa có thông tin cụ thể",
        "channel_direct": "nộp trực tiếp",
        "channel_online": "nộp trực tuyến",
        "channel_post": "qua bưu chính",
        "helpful": "Thông tin có hữu ích không?",
        "error": "Xin lỗi anh/chị, hệ thống đang gặp sự cố khi xử lý tin nhắn này. Anh/chị vui lòng thử lại sau ít phút.",
        "too_long": "Tin nhắn khá dài, tôi xin trả lời theo phần đầu của tin nhắn.",
        "help": (
            "Anh/chị có thể nhắn câu hỏi bằng lời thường, ví dụ: “làm lại căn cước bị mất ở đâu”, “đăng ký tạm trú cần "
            "giấy tờ gì”, “lệ phí cấp hộ chiếu”. Lệnh: /phananh gửi phản ánh, kiến nghị; /tracuu MÃ tra cứu phản ánh đã gửi; /huy hủy việc đang làm dở."
        ),
        "feedback_start": (
            "Anh/chị vui lòng nhắn nội dung phản ánh, kiến nghị (sự việc, thời gian, địa điểm, cơ quan liên quan). "
            "Không cần ghi số điện thoại hay số căn cước trong nội dung."
        ),
        "lookup_prompt": "Anh/chị vui lòng nhập mã cần tra cứu, ví dụ: /tracuu PA-2026-7K3F9Q",
        "rated": "Cảm ơn anh/chị đã đánh giá!",
        "rating_changed": "Đã cập nhật đánh giá của anh/chị. Cảm ơn anh/chị!",
        "stale_choice": "Lựa chọn này đã hết hạn.",
        "nothing_to_cancel": "Hiện không có việc gì đang làm dở để hủy. Anh/chị cần hỗ trợ gì cứ nhắn cho tôi.",
        "edit_answered": "Bot đã trả lời tin nhắn trước; anh/chị vui lòng gửi câu hỏi mới.",
        "group_private": "Để bảo vệ thông tin cá nhân, việc gửi và tra cứu phản ánh chỉ làm trong chat riêng với tôi. "
                         "Anh/chị bấm nút dưới đây để tiếp tục.",
        "button_private": "Mở chat riêng",
        "non_text": "Hiện tôi chỉ đọc được tin nhắn chữ. Anh/chị vui lòng nhập câu hỏi bằng chữ giúp tôi.",
        "button_helpful": "👍 Hữu ích",
        "button_not_helpful": "👎 Chưa đúng",
        "flood": "Anh/chị gửi tin nhắn hơi nhanh, vui lòng đợi vài giây rồi gửi tiếp giúp tôi nhé.",
        "terminal_welcome": "Trợ lý thủ tục hành chính — gõ câu hỏi, /quit để thoát.",
        "terminal_bad_input": "Không đọc được ký tự vừa nhập, anh/chị vui lòng gõ lại.",
        "terminal_you": "Bạn",
        "terminal_bot": "Trợ lý",
        "procedure_label": "{name} (mã {code})",
        "window_closed": "Tin nhắn chưa gửi được vì đã quá 48 giờ kể từ lần cuối người dân nhắn cho OA.",
        "fb_ask_content": (
            "Anh/chị vui lòng mô tả sự việc: chuyện gì, khi nào, ở đâu (xã/phường, cơ quan), liên quan thủ tục nào. "
            "Không cần ghi số điện thoại hay số căn cước trong nội dung. Gõ “hủy” để dừng."
        ),
        "fb_ask_contact": (
            "Anh/chị có muốn để lại họ tên và số điện thoại để cán bộ liên hệ khi cần làm rõ không? Thông tin chỉ dùng "
            "để xử lý phản ánh này và được bảo vệ. Nhập họ tên và số điện thoại, hoặc trả lời “không” để bỏ qua."
        ),
        "fb_summary": "Tôi tóm tắt lại để anh/chị kiểm tra:\n• Loại: {kind}\n• Nội dung: {content}\n• Liên quan: {subject}\n• Liên hệ: {contact}",
        "fb_confirm": "1. Gửi   2. Sửa nội dung   3. Hủy",
        "fb_no_contact": "không để lại",
        "fb_with_contact": "có (chỉ cán bộ xử lý được xem)",
        "fb_subject_unknown": "chưa xác định (cán bộ sẽ phân loại)",
        "fb_saved": (
            "Đã ghi nhận {kind} của anh/chị. Mã tra cứu: {reference}. Hạn trả lời dự kiến: {due}. "
            "Anh/chị nhắn “mã {reference} đến đâu rồi” để xem tiến độ; câu trả lời sẽ được gửi về đây."
        ),
        "fb_saved_praise": "Cảm ơn anh/chị! Lời khen đã được ghi nhận với mã {reference} và sẽ chuyển đến cơ quan, cán bộ liên quan.",
        "fb_cancelled": "Đã hủy, phản ánh chưa được gửi. Anh/chị cần hỗ trợ gì thêm cứ nhắn cho tôi.",
        "fb_unavailable": "Xin lỗi, hệ thống tiếp nhận phản ánh đang tạm gián đoạn. Anh/chị vui lòng gửi lại sau hoặc gửi tại {portal}.",
        "fb_not_saved": "Xin lỗi, chưa lưu được phản ánh ({error}). Anh/chị vui lòng kiểm tra lại nội dung.",
        "fb_khieu_nai": (
            "Nội dung anh/chị nêu là khiếu nại (đề nghị xem xét lại quyết định, hành vi hành chính ảnh hưởng đến quyền lợi của "
            "mình), không phải phản ánh, kiến nghị theo Nghị định 20/2008/NĐ-CP, nên tôi không ghi nhận ở đây. Anh/chị gửi đơn "
            "khiếu nại đến người có thẩm quyền theo thủ tục: {procedures}."
        ),
        "fb_to_cao": (
            "Nội dung anh/chị nêu là tố cáo (báo hành vi vi phạm pháp luật của cán bộ, cơ quan), không phải phản ánh, kiến nghị "
            "theo Nghị định 20/2008/NĐ-CP, nên tôi không ghi nhận ở đây. Anh/chị gửi đơn tố cáo theo thủ tục: {procedures}. "
            "Người tố cáo được giữ bí mật thông tin cá nhân."
        ),
        "fb_status": "Phản ánh {reference}: {status}. Hạn trả lời: {due}.",
        "fb_none_mine": (
            "Tôi chưa thấy phản ánh nào anh/chị đã gửi qua tài khoản này. Nếu anh/chị có mã phản ánh (ghi trong tin "
            "xác nhận khi gửi), anh/chị nhắn mã đó để tôi tra cứu."
        ),
        "fb_rated": "Cảm ơn anh/chị đã đánh giá {score}/5 cho việc giải quyết phản ánh {reference}.",
        "fb_status_reply": "Trả lời của cơ quan: {reply}",
    },
    "en": {
        "greeting": (
            "Hello! I am an assistant for Vietnamese administrative procedures. Ask me what documents you need, where to "
            "apply, how long it takes, the fee and how to apply online; I can also explain administrative reform."
        ),
        "thanks": "You're welcome! Feel free to ask anything else.",
        "goodbye": "Goodbye, and good luck with your application!",
        "about_bot": (
            "I am an automated assistant (not a civil servant) answering from the National Database on Administrative "
            "Procedures: documents, where to apply, processing time, fees, online services, and reform questions."
        ),
        "empty": "Please type your question, e.g. “Which papers are needed to register a birth?”",
        "decline": (
            "Sorry, this is outside what I can help with (administrative procedures and reform). You can search procedures "
            "through the National Public Service Portal {portal} or ask the one-stop shop of your commune/ward."
        ),
        "unsure": (
            "Sorry, I could not find a matching procedure. Could you describe what you need to do? You can also search "
            "{portal} or call the portal's free support line {hotline}."
        ),
        "clarify": "Which of these procedures do you mean? Please choose a number:",
        "other_choices": "If you meant another procedure, please choose its number:",
        "status": (
            "To check the status of an application, use the application code on your receipt in “Tra cứu hồ sơ” through the "
            "National Public Service Portal {portal} or your province's portal, or contact the one-stop shop where you applied."
        ),
        "status_code": "I received the code {code}. ",
        "status_feedback": (
            "{code} is a feedback reference. I could not find it among the feedback sent from this chat; please check the "
            "code or write from the account you used to send it."
        ),
        "where": "Where to apply ({level}; office name in Vietnamese): {agency}.",
        "where_level": "Where to apply: an office at {level}.",
        "other_level": "If your case belongs to the {level}: {agency} (in Vietnamese).",
        "source": "Source: national procedure database, code {code}",
        "documents": "Documents (as listed by the portal, in Vietnamese):",
        "more_documents": "… and {n} more (see the link below).",
        "no_documents": "The catalogue does not list the documents; see the link below.",
        "fee": "Fees{vi}: {fees}.",
        "time": "Processing time{vi}: {times}.",
        "online_full": "Fully online (National Public Service Portal or VNeID app): no office visit needed.",
        "online_partial": "You can apply online in part; some steps still need an office visit.",
        "online_none": "Not available online yet; apply in person{post}.",
        "post_too": " or by public postal service",
        "steps": "Steps (portal wording, in Vietnamese):",
        "more_steps": "… and {n} more steps (see the link below).",
        "no_steps": "The catalogue does not list the steps; see the link below.",
        "eligibility": "Who can apply (in Vietnamese): {applicants}.",
        "conditions": "Conditions (in Vietnamese): {conditions}",
        "no_eligibility": "The catalogue states no particular applicants or conditions.",
        "asked_quote": "The catalogue says (in Vietnamese): “{quote}”.",
        "asked_tax_silent": "The catalogue does not say whether a tax applies; any tax is assessed by the tax office.",
        "asked_proxy_quote": "On authorising someone else, the catalogue says (in Vietnamese): “{quote}”.",
        "asked_proxy_silent": "The catalogue does not say whether someone else may apply on your behalf.",
        "asked_other_channels": "Besides applying in person you can also apply {channels}.",
        "asked_applicants": "Who can apply (in Vietnamese): {applicants}.",
        "asked_required_silent": "The catalogue does not say whether this procedure is compulsory.",
        "choice_documents": "Documents to prepare",
        "choice_steps": "Steps",
        "choice_fee": "Fees",
        "choice_online": "Apply online",
        "choices_intro": "Reply with a number to see more:",
        "choice_more": "Read on",
        "continued": "continued",
        "in_vietnamese": " (in Vietnamese)",
        "vietnamese_name": " (Vietnamese name)",
        "free": "free",
        "no_fee_info": "not stated, see the details",
        "no_time_info": "not stated",
        "channel_direct": "in person",
        "channel_online": "online",
        "channel_post": "by post",
        "helpful": "Was this helpful?",
        "error": "Sorry, something went wrong while handling this message. Please try again in a few minutes.",
        "too_long": "Your message is long; I answered its first part.",
        "help": "Ask in your own words, e.g. “how do I replace a lost ID card”. Commands: /phananh to send feedback; /tracuu CODE to look up feedback you sent; /huy to cancel what is in progress.",
        "feedback_start": "Please write your feedback (what happened, when, where, which office). No phone or ID numbers are needed.",
        "lookup_prompt": "Please give the code to look up, e.g. /tracuu PA-2026-7K3F9Q",
        "rated": "Thank you for your rating!",
        "rating_changed": "Your rating has been updated. Thank you!",
        "stale_choice": "This choice has expired.",
        "nothing_to_cancel": "There is nothing in progress to cancel. Ask me anything you need.",
        "edit_answered": "The bot has already answered your previous message; please send a new question.",
        "group_private": "To protect personal information, feedback is sent and looked up only in a private chat with me. "
                         "Please tap the button below to continue.",
        "button_private": "Open private chat",
        "non_text": "I can only read text messages for now. Please type your question.",
        "button_helpful": "👍 Helpful",
        "button_not_helpful": "👎 Not right",
        "flood": "You are sending messages a bit fast; please wait a few seconds.",
        "terminal_welcome": "Administrative procedures assistant — type a question, /quit to leave.",
        "terminal_bad_input": "Could not read those characters, please type again.",
        "terminal_you": "You",
        "terminal_bot": "Assistant",
        "procedure_label": "{name} (code {code})",
        "window_closed": "Not sent: more than 48 hours since the citizen last wrote to the OA.",
        "fb_ask_content": "Please describe what happened: what, when, where (commune/ward, office), which procedure. Type “cancel” to stop.",
        "fb_ask_contact": "Would you like to leave your name and phone so an officer can contact you if needed? It is used only for this feedback. Type your name and phone, or “no” to skip.",
        "fb_summary": "Summary:\n• Type: {kind}\n• Content: {content}\n• About: {subject}\n• Contact: {contact}",
        "fb_confirm": "1. Send   2. Edit the content   3. Cancel",
        "fb_no_contact": "not given",
        "fb_with_contact": "given (visible only to the handling officer)",
        "fb_subject_unknown": "not identified (officers will classify it)",
        "fb_saved": "Your {kind} has been recorded. Reference: {reference}. Expected answer by {due}. Ask “{reference} status” to follow it; the answer will be sent here.",
        "fb_saved_praise": "Thank you! Your praise was recorded as {reference} and will be passed on.",
        "fb_cancelled": "Cancelled; nothing was sent.",
        "fb_unavailable": "Sorry, feedback intake is temporarily unavailable. Please try again later or use {portal}.",
        "fb_not_saved": "Sorry, the feedback could not be saved ({error}).",
        "fb_khieu_nai": "What you describe is an administrative complaint (khiếu nại), not feedback under Decree 20/2008/NĐ-CP, so it is not filed here. Please use the procedure: {procedures}.",
        "fb_to_cao": "What you describe is a denunciation (tố cáo), not feedback under Decree 20/2008/NĐ-CP, so it is not filed here. Please use the procedure: {procedures}. Your identity is protected.",
        "fb_status": "Feedback {reference}: {status}. Answer due by {due}.",
        "fb_none_mine": "I see no feedback sent from this account. If you have its code (in the confirmation), send it and I will look it up.",
        "fb_rated": "Thank you for rating the handling of {reference} {score}/5.",
        "fb_status_reply": "The agency's answer: {reply}",
    },
}
for _lang, _table in CAPTURE_TEXT.items():  # the capture flow's wording: bot/engine/capture_replies.py
    TEXT[_lang].update(_table)

LEVEL_NAMES = {
    "vi": {"Cấp xã": "cấp xã", "Cấp tỉnh": "cấp tỉnh", "Cấp bộ": "cấp trung ương (bộ)", "Cơ quan khác": "cơ quan khác"},
    "en": {"Cấp xã": "commune level", "Cấp tỉnh": "provincial level", "Cấp bộ": "ministry level", "Cơ quan khác": "other agencies"},
}


def t(lang: str, key: str, **kwargs: object) -> str:
    table = TEXT.get(lang, TEXT["vi"])
    return table[key].format(portal=PORTAL, hotline=HOTLINE, **kwargs)


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _channel_label(lang: str, channel: Channel, proc: Procedure) -> str:
    """"nộp trực tiếp", or, where one channel comes twice for different cases (3 days with a chip
    card, 7 without), the case itself: "(nộp trực tiếp); (nộp trực tiếp)" would tell nothing."""
    label = t(lang, f"channel_{channel.kind.value}")
    note = (channel.note or "").strip().rstrip(".")
    if lang == "vi" and note and sum(c.kind == channel.kind for c in proc.channels) > 1:
        note = note[0].lower() + note[1:]
        return shorten(note, 100)
    return label


def fee_text(lang: str, proc: Procedure, today: dt.date | None = None) -> str:
    parts: dict[str, list[str]] = {}
    for channel in proc.channels:
        fee = fee_today(channel.fee, today, lang)
        if fee.amount_vnd == 0:
            value = t(lang, "free")
        elif fee.amount_vnd:
            value = _vnd(fee.amount_vnd)
        elif fee.text:
            value = shorten(fee.text, 200, SEE_MORE.get(lang, "…")).rstrip(".")
        else:
            continue
        parts.setdefault(value, []).append(_channel_label(lang, channel, proc))
    if not parts:
        return t(lang, "no_fee_info")
    if len(parts) == 1:
        return next(iter(parts))
    return "; ".join(f"{value} ({', '.join(labels)})" for value, labels in parts.items())


def _duration(lang: str, channel: Channel, today: dt.date | None = None) -> str | None:
    d = duration_today(channel.time, today)
    if d.value is None:
        return shorten(d.text, 200, SEE_MORE.get(lang, "…")).rstrip(".") or None
    value = f"{d.value:g}"
    if d.unit:
        unit = d.unit if lang == "vi" else _english_unit(d.unit, d.value)
        return f"{value} {unit}"
    return f"{value} {'ngày làm việc' if lang == 'vi' else _english_unit('ngày làm việc', d.value)}"


def _english_unit(unit: str, value: float) -> str:
    english = {"ngày làm việc": "working day", "ngày": "day", "giờ": "hour", "giờ làm việc": "working hour",
               "tháng": "month", "năm": "year", "tuần": "week"}.get(unit, unit)
    return english if value == 1 or english == unit else english + "s"


def time_text(lang: str, proc: Procedure, today: dt.date | None = None) -> str:
    parts: dict[str, list[str]] = {}
    for channel in proc.channels:
        if value := _duration(lang, channel, today):
            parts.setdefault(value, []).append(_channel_label(lang, channel, proc))
    if not parts:
        return t(lang, "no_time_info")
    if len(parts) == 1:
        return next(iter(parts))
    return "; ".join(f"{value} ({', '.join(labels)})" for value, labels in parts.items())


def url_of(proc: Procedure) -> str:
    return proc.online.url or proc.source_url or PORTAL


def procedure_answer(lang: str, aspect: str, proc: Procedure, variants: list[Procedure], question: str = "",
                     today: dt.date | None = None) -> str:
    """The first message about `proc` (composed in bot.engine.answer_layout, which reads these texts)."""
    from bot.engine.answer_layout import compose  # that module imports this one for its texts

    return compose(lang, aspect, proc, variants, question, today).text


def faq_answer(lang: str, entry: FaqEntry, more: bool = False, budget: int = 500) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A reform answer in one phone-sized message: whole lines (else whole sentences) of the body
    that fit, and a "read on" choice for the rest; `more` gives that rest."""
    body = (entry.answer_en if lang == "en" and entry.answer_en else entry.answer).strip()
    title = entry.title_en if lang == "en" and entry.title_en else entry.title
    refs = ""
    if entry.sources and not more:
        refs = ("Căn cứ: " if lang == "vi" else "References: ") + shorten("; ".join(s.title for s in entry.sources[:3]), 140)
    room = budget - len(title) - len(refs) - 8
    kept: list[str] = []
    for line in body.split("\n"):
        if len("\n".join([*kept, line])) > room:
            break
        kept.append(line)
    first = "\n".join(kept) if kept else fit(body, room).text.removesuffix("…")
    rest = body[len(first):].strip() if body.startswith(first) else ""
    if more:
        title, first, rest = f"{title} ({t(lang, 'continued')})", shorten(rest or body, room), ""
    lines = [f"ℹ️ {title}", first] + ([refs] if refs else [])
    return "\n".join(lines), ((t(lang, "choice_more"), "aspect:more"),) if rest else ()


def clarify_question(lang: str, titles: list[str]) -> str:
    lines = [t(lang, "clarify")]
    lines.extend(f"{i}. {title}" for i, title in enumerate(titles, start=1))
    return "\n".join(lines)
