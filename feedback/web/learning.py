"""Staff page 'Câu hỏi cần xử lý': the bot's misses of a period, grouped; teach, decline, skip, undo, apply.

A separate module returning Starlette routes, mounted by feedback/web/app.py, so the page stays
apart from the inbox views. It uses the app's own session, CSRF and rendering helpers (passed in
as `LearningContext`) and reaches the index only through `LearningHooks` (plain callables the
server supplies, like the catalogue admin hooks). Open to the roles 'admin' and 'editor' (biên tập).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback import learning
from feedback.db import utcnow
from feedback.learning_groups import group_queue
from feedback.periods import Period
from feedback.web.site import Outcome, Site

ROLES = ("admin", "editor")


@dataclass
class LearningHooks:
    """What the page needs from the serving side (bot.app.learning_admin.LearningAdmin)."""

    suggest: Callable[[Sequence[str]], list[tuple[np.ndarray, list[learning.Suggestion]]]]
    find: Callable[[str], list[learning.Suggestion]]
    known: Callable[[str, str], bool]
    apply: Callable[[list], str]
    status: Callable[[], dict]


@dataclass
class LearningContext:
    """What this page needs from the staff app: its site helpers (sessions, rendering, flash
    messages, redirects, the POST wrapper with validation and one transaction) and the index hooks."""

    site: Site
    hooks: LearningHooks | None

    @property
    def sessions(self) -> Callable:
        return self.site.sessions


def default_period() -> str:
    """This month in Vietnam (UTC+7), the unit staff review in."""
    return (utcnow() + dt.timedelta(hours=7)).strftime("%Y-%m")


def grouped(hooks: LearningHooks | None, items: list[learning.QueueItem]):
    """Suggestions and vectors from the index, then groups; without hooks, one group per logged code."""
    if not items:
        return []
    if hooks is None:
        vectors = np.eye(len(items), dtype=np.float32)  # nothing is alike: only the logged code groups
        for item in items:
            if item.procedure_code:
                item.suggestions = [learning.Suggestion("procedure", item.procedure_code, item.procedure_code, 1.0)]
        return group_queue(items, vectors, anchor_min=0.5)
    found = hooks.suggest([item.text for item in items])
    for item, (_, suggestions) in zip(items, found, strict=True):
        item.suggestions = suggestions
    return group_queue(items, np.stack([vector for vector, _ in found]))


def learning_routes(ctx: LearningContext) -> list[Route]:
    site = ctx.site

    def allowed(user) -> bool:
        return user is not None and user.role in ROLES

    async def page(request: Request) -> Response:
        period_text = request.query_params.get("period") or default_period()
        error = None
        with ctx.sessions() as db:
            user = site.user(request, db)
            if not allowed(user):
                return site.render(request, "error.html", status_code=403, user=user,
                                   error="Chỉ quản trị viên và biên tập viên được vào trang này.")
            try:
                period = Period.parse(period_text)
                items = learning.queue(db, period.start_utc, period.end_utc)
            except ValueError as exc:
                items, period, error = [], None, str(exc)
            decisions = learning.recent(db, 50)
            last = learning.last_applied(db)
            pending = learning.pending_count(db)
        groups = await run_in_threadpool(grouped, ctx.hooks, items)
        query = (request.query_params.get("find") or "").strip()[:200]
        found = await run_in_threadpool(ctx.hooks.find, query) if query and ctx.hooks else []
        status = ctx.hooks.status() if ctx.hooks else None
        return site.render(request, "learning.html", user=user, groups=groups, total=len(items), period=period_text,
                           period_label=period.label if period else "", decisions=decisions, last_applied=last,
                           pending=pending, found=found, find=query, status=status, LABEL=learning.ACTION_LABEL,
                           error=error, can_apply=ctx.hooks is not None)

    def back(request: Request) -> str:
        period = request.query_params.get("period", "")
        return "/learning" + (f"?{urlencode({'period': period})}" if period else "")

    def post(handler):
        """site.action with the role check; the form is read raw (ids are a list) after CSRF."""
        async def endpoint(request: Request) -> Response:
            form = await request.form()
            period = str(form.get("period", ""))
            target = "/learning" + (f"?{urlencode({'period': period})}" if period else "")

            def run(request, db, user, _form) -> Outcome:
                if not allowed(user):
                    raise learning.LearningError("chỉ quản trị viên và biên tập viên được làm việc này")
                return Outcome(target, handler(request, db, user, form))

            return await site.action(run, back=lambda _: target)(request)

        return endpoint

    def decide(request, db, user, form) -> str:
        ids = [int(i) for i in form.getlist("ids") if str(i).isdigit()]
        action = str(form.get("action", ""))
        choice = str(form.get("target_text", "") or form.get("target", "")).strip()
        kind, _, target = choice.partition(":") if ":" in choice else ("procedure" if choice[:1].isdigit() else "faq", "", choice)
        if action == "teach":
            action = kind
            if ctx.hooks is not None and not ctx.hooks.known(kind, target):
                raise learning.LearningError(f"không có {'thủ tục' if kind == 'procedure' else 'câu hỏi CCHC'} {target!r} trong danh mục")
        made = learning.decide(db, user.username, ids, action, target, batch=secrets.token_hex(4))
        label = learning.ACTION_LABEL[action] + (f" {target}" if target and action in ("procedure", "faq") else "")
        return f"Đã ghi {len(made)} câu hỏi: {label}. Bấm “Áp dụng” để bot học."

    def undo(request, db, user, form) -> str:
        row = learning.undo(db, user.username, int(request.path_params["decision_id"]))
        return f"Đã hoàn tác quyết định số {row.id}; câu hỏi trở lại danh sách."

    def apply(request, db, user, form) -> str:
        if ctx.hooks is None:
            raise learning.LearningError("máy chủ này không phục vụ một thư mục danh mục: không áp dụng được")
        message = ctx.hooks.apply(learning.live_lessons(db))
        learning.mark_applied(db, user.username, message)
        return message

    return [
        Route("/learning", page, methods=["GET"]),
        Route("/learning/decide", post(decide), methods=["POST"]),
        Route("/learning/undo/{decision_id:int}", post(undo), methods=["POST"]),
        Route("/learning/apply", post(apply), methods=["POST"]),
    ]
