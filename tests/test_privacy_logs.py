"""Every log line of a run, uvicorn's and tracebacks included, is free of the citizen's personal
data: a report with a CCCD number, an e-mail, a name and a phone number is filed while the
database refuses the insert (a trigger), so the SQL error with its bound parameters is logged."""

from __future__ import annotations

import io
import logging

import sqlalchemy as sa

from bot.app import logsafe
from bot.app.conversations import ConversationStore
from bot.app.server import ServerParts, create_app
from bot.app.service import ConversationService
from bot.app.wiring import feedback_port
from bot.channels.telegram import build_application
from bot.engine.turn import Engine
from feedback.db import init_db, make_engine, session_factory

from .test_channels import SECRET, TOKEN, fakes, post_tg, tg_update  # noqa: F401 - fixture
from .wire import LoopbackServer, wait_for

SECRETS = ["001203004567", "an.nguyen@example.vn", "0912 345 678", "0912345678", "Nguyễn Văn An", "Hoà Bình hẹn trả"]


def test_no_log_line_carries_personal_data_even_from_a_failed_insert(mini_index, tmp_path, fakes):  # noqa: F811
    bot_api = fakes[0]
    engine = make_engine(f"sqlite:///{tmp_path / 'pii.db'}")
    init_db(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TRIGGER refuse BEFORE INSERT ON feedback_records BEGIN SELECT RAISE(ABORT, 'forced'); END"))
    sessions = session_factory(engine)
    bot_engine = Engine.create(mini_index, cache_dir=tmp_path / "cache", feedback=feedback_port(mini_index, sessions))
    service = ConversationService(bot_engine, ConversationStore(sessions))
    parts = ServerParts(service=service, sessions=sessions, outbox_interval=0.2)
    parts.telegram, parts.telegram_secret = build_application(TOKEN, service, base_url=fakes[2]), SECRET

    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    srv = LoopbackServer(create_app(parts)).start()  # its start-up wraps every handler, this one too
    try:
        assert isinstance(handler.formatter, logsafe.RedactingFormatter)
        messages = ["/phananh",
                    "Cán bộ một cửa phường Hoà Bình hẹn trả hồ sơ 3 lần vẫn chưa có kết quả, tôi muốn phản ánh, "
                    "CCCD 001203004567, e-mail an.nguyen@example.vn",
                    "Nguyễn Văn An 0912 345 678", "1"]
        for i, text in enumerate(messages):
            post_tg(srv, tg_update(700 + i, text, chat_id=620))
            assert wait_for(lambda i=i: len(bot_api.sent(620)) >= i + 1, timeout=30)
        logging.getLogger("uvicorn.error").error("citizen wrote %s", messages[1])  # through uvicorn's own handler
    finally:
        srv.stop()
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = sink.getvalue()
    assert "forced" in text and "Traceback" in text  # the failed insert was logged, with its traceback
    assert "parameters hidden" in text or "[parameters: <hidden>]" in text
    leaked = [line for line in text.splitlines() if any(secret in line for secret in SECRETS)]
    assert leaked == [], leaked
    assert "lỗi" in bot_api.sent(620)[-1]["text"] or "sự cố" in bot_api.sent(620)[-1]["text"]
