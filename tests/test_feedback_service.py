"""Rules of feedback handling, on SQLite and (in CI) PostgreSQL."""

import datetime as dt
import threading

import numpy as np
import pytest

from feedback import outbox, service
from feedback.auth import add_user, authenticate
from feedback.models import AuditEntry, FeedbackRecord, StatusChange


def draft(**overrides) -> service.Draft:
    base = dict(kind="phan_anh", content="Hồ sơ cấp đổi căn cước quá hẹn 3 tuần chưa có kết quả", channel="telegram",
                chat_id="42", procedure_code="1.014063", procedure_name="Cấp đổi thẻ căn cước", agency="Công an phường Hòa Lạc")
    return service.Draft(**{**base, **overrides})


def test_create_sets_reference_deadlines_and_history(sessions):
    now = dt.datetime(2026, 10, 5, 9, 0)
    with sessions() as db, db.begin():
        record = service.create_record(db, draft(), now=now)
        assert service.is_reference(record.reference) and record.reference.startswith("PA-2026-")
        # working days in Vietnam: 20 after Monday 5/10/2026 end on Monday 2/11, 7 on Wednesday 14/10,
        # each at 23:59:59 local time (16:59:59 UTC, as stored)
        assert record.due_at == dt.datetime(2026, 11, 2, 16, 59, 59)
        assert record.next_update_due_at == dt.datetime(2026, 10, 14, 16, 59, 59)
        assert [h.to_status for h in record.history] == ["new"]
        assert record.contact_phone is None


def test_references_are_unique_and_unguessable(sessions):
    with sessions() as db, db.begin():
        refs = {service.create_record(db, draft(content=f"nội dung {i}")).reference for i in range(50)}
    assert len(refs) == 50
    assert len({r[-6:] for r in refs}) == 50


@pytest.mark.parametrize("bad", [dict(content=""), dict(content="x" * (service.MAX_STORY + 1)), dict(kind="khieu_nai"),
                                 dict(contact_phone="0912345678")])
def test_bad_drafts_are_refused_and_nothing_is_written(sessions, bad):
    with pytest.raises(service.InvalidInput):
        with sessions() as db, db.begin():
            service.create_record(db, draft(**bad))
    with sessions() as db:
        assert db.query(FeedbackRecord).count() == 0 and db.query(StatusChange).count() == 0


def test_contact_kept_only_with_consent(sessions):
    with sessions() as db, db.begin():
        record = service.create_record(db, draft(contact_consent=True, contact_name="Nguyễn An", contact_phone="0912345678"))
        add_user(db, "canbo1", "mat-khau-dai-1")
        name, phone = service.reveal_contact(db, record.id, "canbo1")
        assert phone == "0912345678"
        assert db.query(AuditEntry).filter_by(action="reveal_contact", record_id=record.id).count() == 1


def test_full_workflow_and_reply_goes_to_the_outbox(sessions):
    with sessions() as db, db.begin():
        record = service.create_record(db, draft())
        staff = add_user(db, "canbo1", "mat-khau-dai-1")
        service.assign(db, [record.id], staff.id, "admin")
        service.transition(db, record.id, "accepted", "canbo1")
        message = service.reply(db, record.id, "canbo1", "Hồ sơ của anh/chị đã được xử lý, mời nhận thẻ.")
        assert record.status == "answered" and record.answered_at is not None
        queued = db.get(outbox.OutboxMessage, message.outbox_id)
        assert queued.channel == "telegram" and queued.chat_id == "42" and record.reference in queued.text
        service.transition(db, record.id, "closed", "canbo1")
        with pytest.raises(service.InvalidInput):
            service.transition(db, record.id, "in_progress", "canbo1")  # reopening needs a reason
        service.transition(db, record.id, "in_progress", "canbo1", "người dân báo chưa nhận được thẻ")
        statuses = [h.to_status for h in record.history]
        assert statuses == ["new", "new", "accepted", "in_progress", "answered", "closed", "in_progress"]


@pytest.mark.parametrize(("start", "target"), [("new", "answered"), ("new", "closed"), ("transferred", "closed")])
def test_invalid_transitions_are_refused(sessions, start, target):
    with sessions() as db, db.begin():
        record = service.create_record(db, draft())
        if start == "transferred":
            service.transition(db, record.id, "transferred", "x", "chuyển Sở Tư pháp")
        with pytest.raises(service.InvalidTransition):
            service.transition(db, record.id, target, "x")


def test_reject_and_transfer_need_a_reason(sessions):
    with sessions() as db, db.begin():
        record = service.create_record(db, draft())
        with pytest.raises(service.InvalidInput):
            service.transition(db, record.id, "rejected", "x", "  ")
        service.transition(db, record.id, "rejected", "x", "Nội dung là khiếu nại, đã hướng dẫn thủ tục khiếu nại")
        assert record.outcome_note.startswith("Nội dung là khiếu nại") and record.closed_at


def test_concurrent_edit_one_wins_the_other_gets_a_clear_message(sessions):
    with sessions() as db, db.begin():
        record_id = service.create_record(db, draft()).id
    with sessions() as db:
        version = db.get(FeedbackRecord, record_id).version
    with sessions() as first, first.begin():
        service.transition(first, record_id, "accepted", "a", expected_version=version)
    with pytest.raises(service.ConcurrentEdit) as err:
        with sessions() as second, second.begin():
            service.transition(second, record_id, "in_progress", "b", expected_version=version)
    assert "người khác cập nhật" in str(err.value)


def test_citizen_sees_only_their_own_record(sessions):
    with sessions() as db, db.begin():
        record = service.create_record(db, draft())
        assert service.for_citizen(db, record.reference.lower(), "telegram", "42") is record
        assert service.for_citizen(db, record.reference, "telegram", "43") is None
        assert service.for_citizen(db, record.reference, "zalo", "42") is None


def test_duplicate_suggestion_links_close_open_records(sessions):
    vector = np.ones(8, dtype=np.float32) / np.sqrt(8)
    other = np.eye(8, dtype=np.float32)[0]
    with sessions() as db, db.begin():
        first = service.create_record(db, draft(embedding=vector))
        second = service.create_record(db, draft(content="cấp đổi căn cước chậm quá", embedding=vector))
        third = service.create_record(db, draft(content="khác hẳn", embedding=other))
        assert second.duplicate_of_id == first.id and third.duplicate_of_id is None


def test_overdue_and_inbox_filters(sessions):
    old = dt.datetime(2026, 1, 1)
    with sessions() as db, db.begin():
        late = service.create_record(db, draft(), now=old)
        fresh = service.create_record(db, draft(kind="kien_nghi", content="Đề nghị mở cửa thứ Bảy", channel="zalo"))
        assert service.is_overdue(late) and not service.is_overdue(fresh)
        rows, total = service.inbox(db, service.InboxFilter(overdue=True))
        assert [r.id for r in rows] == [late.id] and total == 1
        rows, _ = service.inbox(db, service.InboxFilter(kind="kien_nghi", channel="zalo"))
        assert [r.id for r in rows] == [fresh.id]
        rows, _ = service.inbox(db, service.InboxFilter(q="thứ Bảy"))
        assert [r.id for r in rows] == [fresh.id]
        rows, _ = service.inbox(db, service.InboxFilter(q="'; DROP TABLE feedback_records; --"))
        assert rows == []
    with sessions() as db:
        assert db.query(FeedbackRecord).count() == 2


def test_login_lockout_after_repeated_failures(sessions):
    with sessions() as db, db.begin():
        add_user(db, "canbo2", "mat-khau-dai-2")
    for _ in range(4):
        with sessions() as db, db.begin():
            assert authenticate(db, "canbo2", "sai").user is None
    with sessions() as db, db.begin():
        assert authenticate(db, "canbo2", "sai").locked
    with sessions() as db, db.begin():
        assert authenticate(db, "canbo2", "mat-khau-dai-2").locked  # right password, still locked
    with sessions() as db, db.begin():
        later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=16)
        assert authenticate(db, "canbo2", "mat-khau-dai-2", now=later).user.username == "canbo2"
    with sessions() as db, db.begin():
        assert authenticate(db, "nobody", "whatever").error == authenticate(db, "canbo2", "wrong-pass").error


def test_migrations_match_the_models(sessions):
    """Alembic's head revision creates exactly the tables and columns the models (feedback and conversations) declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import bot.app.channel_tokens  # noqa: F401 - its table is one of the models
    import bot.app.inbox  # noqa: F401
    import feedback.attachments  # noqa: F401
    from bot.app.conversations import ConversationBase
    from feedback.db import Base

    with sessions() as db:
        context = MigrationContext.configure(db.connection())
        diff = [d for d in compare_metadata(context, [Base.metadata, ConversationBase.metadata]) if d[0] != "remove_table" or d[1].name != "alembic_version"]
    assert diff == []


def test_same_submission_key_returns_the_same_record(sessions):
    with sessions() as db, db.begin():
        first = service.create_record(db, draft(submission_key="draft-1"))
        again = service.create_record(db, draft(submission_key="draft-1", content="gửi lại sau sự cố"))
        assert again.id == first.id and db.query(FeedbackRecord).count() == 1
