"""The conversation engine: (Incoming, ConversationState) → Reply. Pure: no channel, HTTP or DB code.

One turn:
1. Clean the text; a pending clarifying question is answered by a number or an option's words.
2. Recognise status requests by surface cues (reference codes, "đến đâu rồi").
3. Search the index once; classify the intent from the query embedding (bot.engine.intents).
4. Follow-ups ("thế còn lệ phí?") and corrections ("không, ý tôi là đổi") are searched together
   with the recent context of the conversation; a new, clearly different question switches topic.
5. Decide: answer, ask one clarifying question with numbered choices when the top candidates are
   close, or decline politely with a pointer when unsure or out of scope.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.engine import answer_layout, aspect_model, capture_turn, commands, followups, own_records, replies, tentative
from bot.engine.aspect_model import AspectModel
from bot.engine.decide import Decision, aspect_free_search, decide
from bot.engine.cues import folded_set, small_talk_key
from bot.engine.confidence import Calibration, features_of
from bot.engine.intent_model import Progress, SoftmaxClassifier, guess_intent, load_or_fit
from bot.engine.intents import IntentGuess, names_feedback, reference_code, status_cued
from bot.engine.language import _VIETNAMESE_SYLLABLES, detect_language
from bot.engine.feedback_dialog import FeedbackDialog, FeedbackPort
from bot.engine.topic import TopicAnchors, TopicModel
from bot.engine.types import ConversationState, Incoming, Option, Reply
from indexer.search import GroupHit, Index, SearchResult
from knowledge.text import fold

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 1500
_START_FEEDBACK = folded_set("start_feedback")
_NONE_OF_THESE = folded_set("none_of_these")
# A rating is a bare score, or a score with a unit or separator ("4 sao, nhanh"), and only while a staff
# reply has asked for one (the port knows: FeedbackPort.rate); "3 ngày nữa là hết hạn" is a question.
_RATING = re.compile(r"^\s*([1-5])\s*(?:(?:/\s*5|sao|điểm|diem)\s*[,.:;-]?|[,.:;-]|$)\s*(.{0,300})$",
                     re.IGNORECASE | re.DOTALL)
_CHOICE = re.compile(r"^\s*(?:số|so|chọn|chon|option|#)?\s*(\d{1,2})\s*[.)]?\s*$", re.IGNORECASE)


def _message_hash(text: str) -> str:
    """Identity of a message for repeat detection; the state keeps this, not the text."""
    return hashlib.sha256(fold(text).strip(" .!").encode()).hexdigest()[:16]


class Engine:
    """Answers citizens from an `Index`. Construct with `Engine.create(index)`; then call `handle`."""

    def __init__(self, index: Index, classifier: SoftmaxClassifier, calibration: Calibration | None = None,
                 feedback: FeedbackPort | None = None, topic: TopicModel | None = None, aspects: AspectModel | None = None):
        self.index = index
        self.topic = topic
        self.aspects = aspects  # None: the cue lists alone say which aspect is asked
        self.classifier = classifier
        self.calibration = calibration or Calibration()
        self.dialog = FeedbackDialog(feedback, describe=self._procedure_label, legal_procedures=self._legal_procedures)
        restorer = index.normalizer.restorer
        # syllables the catalogue writes with marks: English words never are ("the" is, as "thẻ")
        self.syllables = frozenset(
            k for k, v in (restorer.table if restorer else {}).items() if " " not in k and v != k
        ) | _VIETNAMESE_SYLLABLES

    @classmethod
    def create(cls, index: Index, cache_dir: Path | None = None, feedback: FeedbackPort | None = None,
               progress: Progress | None = None) -> Engine:
        """An engine for `index`. The intent and aspect models are fitted once per (examples,
        catalogue, embedder) and stored beside the index version, so a start loads weights instead
        of embedding ~2,000 examples and refitting."""
        cache_dir = cache_dir or index.path.parent.parent / "cache"
        classifier = load_or_fit(index, cache_dir, progress)
        topic = TopicModel.bundled()
        if topic is not None:  # ~50 short lines of our own, embedded once per cache
            topic = topic.with_anchors(TopicAnchors.embed(index.embedder, cache_dir))
        return cls(index, classifier, Calibration.bundled(), feedback=feedback, topic=topic,
                   aspects=aspect_model.load_or_fit(index, cache_dir))

    # ------------------------------------------------------------------------------------------
    def classify(self, vector: np.ndarray, text: str) -> IntentGuess:
        return guess_intent(self.classifier, vector, text)

    def _group_codes(self, hit: GroupHit) -> list[str]:
        return [i for i in hit.item_ids if not i.startswith("faq:")]

    def cited_codes(self, result: SearchResult, limit: int = 10) -> list[str]:
        """One code per procedure group, best first: level variants are one candidate to a citizen
        (one choice in a clarifying question), so they do not fill the places of the next ones."""
        return [codes[0] for hit in result.procedures() if (codes := self._group_codes(hit))][:limit]

    def _faq_topics(self, result: SearchResult, limit: int = 5) -> list[str]:
        return [h.group.removeprefix("faq:") for h in result.faq()[:limit]]

    # ------------------------------------------------------------------------------------------
    def handle(self, incoming: Incoming, state: ConversationState | None = None) -> Reply:
        """One turn. Inside a capture flow every turn is remembered (see `_repeat_of_flow_turn`)."""
        state = state or ConversationState()
        now = time.time()
        if incoming.command:  # /start, /help, /phananh, /tracuu, /huy (bot.engine.commands)
            return commands.run(self, incoming, state, now)
        if commands.is_stale(self, incoming, state, now):  # a button of an older message
            return commands.stale_reply(self, state, now)
        text = (incoming.choice or incoming.text or "").strip()[:MAX_INPUT_CHARS]
        if (repeat := self._repeat_of_flow_turn(text, state, now)) is not None:
            return commands.guard_group(self, incoming, repeat, text)
        reply = capture_turn.with_new_flow_files(self, self._respond(incoming, text, state, now), incoming, state)
        reply = commands.guard_group(self, incoming, reply, text)
        if reply.intent == "feedback" and "feedback" in (state.flow, reply.state.flow):
            memory = {"hash": _message_hash(text), "at": now, "reply": reply.text}
            return replace(reply, state=reply.state.evolve(last_flow_turn=memory))
        if reply.state.last_flow_turn is not None:
            return replace(reply, state=reply.state.evolve(last_flow_turn=None))
        return reply

    def _repeat_of_flow_turn(self, text: str, state: ConversationState, now: float) -> Reply | None:
        """The message that produced the last capture-flow reply, sent again, gets that reply again.

        Why: a reply can be lost after the turn's state was saved (a crash, a network error), and
        the citizen then sends the same message again, minutes or hours later. Processed a second
        time, a resent "không" would cancel the report at the confirmation step and a resent "1"
        after filing would be read as a new question, so the citizen would never see the
        reference. The state decides, not a clock: the memory lasts until a different message
        moves the conversation on (or the state expires)."""
        memory = state.last_flow_turn
        if not memory or not text:
            return None
        if memory.get("hash") != _message_hash(text):
            return None
        return capture_turn.flow_reply(self, str(memory.get("reply", "")), state.evolve(updated_at=now))

    def _respond(self, incoming: Incoming, text: str, state: ConversationState, now: float) -> Reply:
        if state.expired(now):
            state = ConversationState()
        language = detect_language(text, self.syllables) if text else state.language
        state = state.evolve(turns=state.turns + 1, updated_at=now, language=language)
        if state.flow == "feedback":
            handled, state = capture_turn.flow_turn(self, incoming, text, state, now)
            if handled is not None:
                return handled
        elif text.startswith("fb:"):  # a capture button pressed after the flow ended
            return Reply(text=replies.t(language, "fb_stale_choice"), intent="feedback", state=state, language=language)
        if not re.search(r"\w", text):
            return Reply(text=replies.t(language, "empty"), intent="chitchat", state=state, language=language)
        if fold(text).strip(" !.") in _START_FEEDBACK:
            message, changes = self.dialog.start("", None, None, language, replies.t)
            return Reply(text=message, intent="feedback", state=state.evolve(**changes), language=language)

        clarifying = any(not o.startswith("aspect:") for o in state.options)  # aspect choices do not hide a rating
        if not clarifying and self.dialog.port is not None and (rating := _RATING.match(text)):
            reference = self.dialog.port.rate(incoming.channel, incoming.user_id, int(rating.group(1)), rating.group(2).strip())
            if reference:
                return Reply(text=replies.t(language, "fb_rated", score=rating.group(1), reference=reference),
                             intent="feedback", state=state, language=language)

        if (state.options or state.group) and (chosen := self.chosen_option(text, state)):
            if chosen.startswith("aspect:"):  # "Xem hồ sơ cần chuẩn bị" for the procedure just answered
                return self._answer_group(state.group or "", chosen[7:], state.evolve(options=()), language,
                                          context=state.context, confidence=1.0, question="")
            return self._answer_group(chosen, state.aspect or "general", state.evolve(options=()), language,
                                      context=state.context, confidence=1.0)
        if state.options and fold(text).strip(" !.,?") in _NONE_OF_THESE:  # none of the choices: decline, pointer
            return Reply(text=replies.t(language, "unsure"), intent="procedure", state=state.evolve(options=(), group=None),
                         language=language, confident=False, decision="decline", rejects_offer=True)

        if status_cued(text) or own_records.asks_about_own_records(text):  # no code: their own records
            return self.status_reply(text, state, language, incoming)

        result = self.index.search(text)
        guess = self.classify(result.query_vector, text)
        # read on the restored text too: "cần j" asks for documents as "cần gì" does
        aspect, aspect_cued = aspect_model.read_aspect(self.aspects, text, result.query.restored)

        # Follow-ups and corrections lean on the conversation's context.
        if state.group and (combined := self._follow_up_search(text, state, result, guess, aspect_cued)) is not None:
            alone = aspect_free_search(self.index.search, followups.meant_part(text))
            if not aspect_cued:
                aspect = state.aspect or aspect
            correction = followups.is_correction(text)
            # a message with no content beyond its aspect ("có mất phí không") cannot change the topic
            group = state.group if alone is None and not correction else self.follow_up_group(state.group, alone, combined, correction)
            if group:
                context = (*state.context[-2:], text)
                reply = tentative.keep_choices_open(self._answer_group(
                    group, aspect, state.evolve(options=()), language, context=context, confidence=0.8,
                    result=combined), state, language, self.group_title)
                if guess.intent == "feedback" and guess.probability >= 0.4:
                    return self._feedback_reply(reply, guess, language, capture_turn.story_of(incoming), combined)
                return reply

        decision = self.decide(result, guess)
        if decision.intent == "chitchat":
            return self._chitchat(text, guess, state, language)
        if decision.intent == "out_of_scope":
            return Reply(text=replies.t(language, "decline"), intent="out_of_scope", state=state, language=language,
                         procedures=tuple(self.cited_codes(result)), faq=tuple(self._faq_topics(result)),
                         aspect=aspect, confidence=decision.confidence, decision="decline")
        if decision.intent == "feedback":
            base = Reply(text="", intent="feedback", state=state, language=language,
                         procedures=tuple(self.cited_codes(result)), faq=tuple(self._faq_topics(result)),
                         aspect=aspect, confidence=decision.confidence)
            return self._feedback_reply(base, guess, language, capture_turn.story_of(incoming), result)
        if decision.intent == "status":
            return self.status_reply(text, state, language, incoming)
        if not decision.hits:
            return Reply(text=replies.t(language, "unsure"), intent=decision.intent, state=state, language=language)
        if decision.decline:
            return self._unsure(decision, result, aspect, state, language)
        if decision.clarify:
            return self._clarify(decision, result, aspect, state.evolve(aspect=aspect, context=(text,)), language)
        top = decision.hits[0]
        return self._answer_group(top.group, aspect, state.evolve(options=()), language, context=(text,),
                                  confidence=decision.confidence, result=result)

    # ------------------------------------------------------------------------------------------
    def decide(self, result: SearchResult, guess: IntentGuess) -> Decision:
        return decide(self.calibration, result, guess, lambda: aspect_free_search(self.index.search, result.query.original))

    # ------------------------------------------------------------------------------------------
    def follow_up_group(self, current_group: str, alone: SearchResult | None, combined: SearchResult,
                        correction: bool) -> str | None:
        """The topic of a follow-up turn (see bot.engine.followups.follow_up_group)."""
        return followups.follow_up_group(self.calibration, self.index.group_items, current_group, alone, combined,
                                         correction, self.index.variants)

    def _follow_up_search(self, text: str, state: ConversationState, result: SearchResult, guess: IntentGuess,
                          aspect_cued: bool) -> SearchResult | None:
        """The message searched with the conversation's context when it continues the topic, else None."""
        if self.topic is None:
            follows = followups.is_follow_up(self.calibration, text, result, guess, aspect_cued)
            return self.index.search_in_context(state.context[-2:], text) if follows else None
        combined = self.index.search_in_context(state.context[-2:], text)
        follows = followups.continues_topic(self.topic, self.calibration, text, state.group or "", result, combined,
                                            guess, aspect_cued, self.index.known_words)
        return combined if follows else None

    def chosen_option(self, text: str, state: ConversationState) -> str | None:
        if m := _CHOICE.match(text):
            n = int(m.group(1))
            if 1 <= n <= len(state.options):
                return state.options[n - 1]
        if text.startswith("group:") and text[6:] in state.options:
            return text[6:]
        if text.startswith("aspect:") and state.group:
            return text
        return None

    def _feedback_reply(self, base: Reply, guess: IntentGuess, language: str, text: str, result: SearchResult) -> Reply:
        """Start capturing: the message (whole, not the part searched) is the content; the procedure
        it concerns stays cited."""
        codes = [c for c in base.procedures] or self.cited_codes(result)
        confident = self.calibration.probability(features_of(result)) >= self.calibration.clarify_below
        message, changes = self.dialog.start(text, guess.feedback_kind, codes[0] if codes and confident else None,
                                             language, replies.t)
        return replace(base, text=message, intent="feedback", feedback_kind=guess.feedback_kind, confident=False,
                       aspect="general", options=(), state=base.state.evolve(**changes))

    def _suggest_procedure(self, text: str) -> str | None:
        result = self.index.search(text)
        procedures = result.procedures()
        if procedures and self.calibration.probability(features_of(result)) >= self.calibration.clarify_below:
            return self._group_codes(procedures[0])[0]
        return None

    def _procedure_label(self, code: str | None) -> str:
        proc = self.index.procedures.get(code or "")
        return replies.t("vi", "procedure_label", name=proc.name, code=proc.code) if proc else ""

    def _legal_procedures(self, kind: str) -> str:
        query = "giải quyết khiếu nại quyết định hành chính" if kind == "khieu_nai" else "giải quyết tố cáo"
        hits = self.index.search(query).procedures()[:1]
        labels = [self._procedure_label(self._group_codes(h)[0]) for h in hits]
        return "; ".join(label for label in labels if label) or replies.PORTAL

    def status_reply(self, text: str, state: ConversationState, language: str, incoming: Incoming) -> Reply:
        code = reference_code(text)
        body = replies.t(language, "status")
        if code and code.startswith(("PA-", "KN-", "PAKN-")):
            view = self.dialog.port.lookup(code, incoming.channel, incoming.user_id) if self.dialog.port else None
            if view is None:
                body = replies.t(language, "status_feedback", code=code)
            else:
                body = replies.t(language, "fb_status", reference=view.reference, status=view.status_label, due=view.due_date)
                if view.replies:
                    body += "\n" + replies.t(language, "fb_status_reply", reply=view.replies[-1])
        elif code:
            body = replies.t(language, "status_code", code=code) + body
        elif self.dialog.port is not None and (views := self.dialog.port.mine(incoming.channel, incoming.user_id)):
            # no code given: the citizen's own feedback records on this channel, then how to look up an application
            lines = [replies.t(language, "fb_status", reference=v.reference, status=v.status_label, due=v.due_date)
                     for v in views]
            body = "\n".join(lines) + "\n\n" + body
        elif self.dialog.port is not None and names_feedback(text):  # asked about their reports: none here
            body = replies.t(language, "fb_none_mine") + "\n\n" + body
        return Reply(text=body, intent="status", state=state, language=language)

    def _chitchat(self, text: str, guess: IntentGuess, state: ConversationState, language: str) -> Reply:
        return Reply(text=replies.t(language, small_talk_key(text)), intent="chitchat", state=state, language=language,
                     confidence=guess.probability)

    def _unsure(self, decision: Decision, result: SearchResult, aspect: str, state: ConversationState, language: str) -> Reply:
        """Say we could not match it, with the portal pointer; the nearest candidates stay cited."""
        return Reply(text=replies.t(language, "unsure"), intent=decision.intent, state=state, language=language,
                     procedures=tuple(self.cited_codes(result)), faq=tuple(self._faq_topics(result)),
                     aspect=aspect, confident=False, confidence=decision.confidence, decision="decline")

    def _clarify(self, decision: Decision, result: SearchResult, aspect: str, state: ConversationState, language: str) -> Reply:
        # procedures that differ only by channel ("… trực tuyến toàn trình" / "… một phần") read
        # alike once shortened: a choice is offered once, and the third slot goes to something else
        options, titles, seen = [], [], set()
        for hit in decision.hits:
            title = self.group_title(hit.group, language)
            if (key := fold(title)) not in seen:
                seen.add(key)
                options.append(hit)
                titles.append(title)
            if len(options) == 3:
                break
        levels = [self._group_codes(h) for h in options]  # the choices in order, then their other levels
        codes = [c[0] for c in levels if c] + [code for c in levels for code in c[1:]]
        # the best candidate stays the tentative topic: a citizen who skips the choice and asks "thế
        # còn lệ phí?" is asked about that one rather than losing the conversation
        return Reply(
            text=replies.clarify_question(language, titles),
            intent=decision.intent,
            state=state.evolve(options=tuple(h.group for h in options), group=options[0].group,
                               codes=tuple(levels[0])),
            options=tuple(Option(label=f"{i}. {title}", payload=str(i)) for i, title in enumerate(titles, start=1)),
            procedures=tuple(codes[:10]) + tuple(c for c in self.cited_codes(result) if c not in codes)[: max(0, 10 - len(codes))],
            faq=tuple(self._faq_topics(result)),
            aspect=aspect,
            confident=False,
            confidence=decision.confidence,
            language=language,
            decision="clarify",
        )

    def group_title(self, group: str, language: str) -> str:
        if group.startswith("faq:"):
            entry = self.index.faq[group[4:]]
            return entry.title_en if language == "en" and entry.title_en else entry.title
        codes = [self.index.items[i].id for i in self.index.group_items[group]]
        proc = self.index.procedures[codes[0]]
        return answer_layout.display_title(language, proc)

    def _answer_group(self, group: str, aspect: str, state: ConversationState, language: str,
                      context: tuple[str, ...], confidence: float, result: SearchResult | None = None,
                      question: str | None = None) -> Reply:
        items = [self.index.items[i] for i in self.index.group_items.get(group, [])]
        if not items:
            return Reply(text=replies.t(language, "unsure"), intent="procedure", state=state, language=language)
        if items[0].kind == "faq":
            entry = self.index.faq[group[4:]]
            topics = [entry.topic] + ([t for t in self._faq_topics(result) if t != entry.topic] if result else [])
            text, choices = replies.faq_answer(language, entry, more=aspect == "more")
            return Reply(text=text, intent="faq", faq=tuple(topics), options=tuple(Option(*c) for c in choices),
                         procedures=tuple(self.cited_codes(result)) if result else (),
                         state=state.evolve(group=group, codes=(), aspect=aspect, context=context[-3:],
                                            options=tuple(p for _, p in choices)),
                         aspect=aspect, confident=True, confidence=confidence, language=language)
        ranked = next((list(h.item_ids) for h in (result.hits if result else ()) if h.group == group), None)
        codes = ranked or [it.id for it in sorted(items, key=lambda it: it.level_rank)]
        variants = [self.index.procedures[c] for c in codes]
        main = variants[0]
        composed = answer_layout.compose(language, aspect, main, variants, context[-1] if question is None and context else question or "")
        others = [c for c in (self.cited_codes(result) if result else []) if c not in codes]
        return Reply(
            text=composed.text,
            intent="procedure",
            state=state.evolve(group=group, codes=tuple(codes), aspect=aspect, context=context[-3:],
                               options=tuple(payload for _, payload in composed.choices)),
            options=tuple(Option(label=label, payload=payload) for label, payload in
                          (*composed.choices, ("👍", "helpful:yes"), ("👎", "helpful:no"))),
            procedures=tuple(codes + others)[:10],  # the answer cites every level it lists
            faq=tuple(self._faq_topics(result)) if result else (),
            aspect=aspect,
            confident=True,
            confidence=confidence,
            language=language,
        )


def handle_safely(engine: Engine, incoming: Incoming, state: ConversationState | None) -> Reply:
    """Channel edge: an engine error becomes a polite reply and a log line without the message text."""
    try:
        return engine.handle(incoming, state)
    except Exception:  # noqa: BLE001 - the edge must never crash; the error is logged with context
        log.exception("engine failed on a message from channel=%s", incoming.channel)
        language = (state or ConversationState()).language
        return Reply(text=replies.t(language, "error"), intent="error", state=state or ConversationState(), language=language)
