"""The evaluation contract: answer question files as `tthc answer` does, and score them.

Scoring follows shared/eval/FORMAT.md and agrees with shared/eval/score.py: a procedure question is
a hit at rank r when the r-th code is one of its gold codes; top-1, top-3 and MRR@10 by style; FAQ
top-1; intent accuracy; decline rate on out-of-scope questions (declined = not a confident procedure
answer); beside it, not in score.py, the share declined outright (told "not something we handle" or
"not sure, see the portal", neither answered nor offered procedures to choose); dialogue turns right
(intent, and for procedure turns first code in the group and aspect).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bot.engine.turn import Engine, handle_safely
from bot.engine.types import ConversationState, Incoming, Reply


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def prediction(row_id: str, reply: Reply) -> dict[str, Any]:
    return {
        "id": row_id,
        "intent": reply.intent,
        "procedures": list(reply.procedures[:10]),
        "faq": list(reply.faq[:5]),
        "aspect": reply.aspect,
        "confident": bool(reply.confident),
        "decision": reply.decision,
        "answer": reply.text,
    }


def answer_questions(engine: Engine, rows: Iterable[dict[str, Any]], tick: Callable[[], None] | None = None) -> list[dict]:
    out = []
    for row in rows:
        reply = handle_safely(engine, Incoming("eval", f"eval-{row['id']}", str(row.get("question", ""))), ConversationState())
        out.append(prediction(row["id"], reply))
        if tick:
            tick()
    return out


def answer_dialogues(engine: Engine, dialogues: Iterable[dict[str, Any]], tick: Callable[[], None] | None = None) -> list[dict]:
    out = []
    for dialogue in dialogues:
        state = ConversationState()
        for turn_no, turn in enumerate(dialogue.get("turns", [])):
            reply = handle_safely(engine, Incoming("eval", f"eval-{dialogue['id']}", str(turn.get("user", ""))), state)
            state = reply.state
            out.append({**prediction(dialogue["id"], reply), "turn": turn_no})
        if tick:
            tick()
    return out


def method_predictions(engine: Engine, rows: Iterable[dict[str, Any]], method: str) -> list[dict]:
    """Single-retriever baseline: rank procedures by one method alone, no engine logic."""
    out = []
    for row in rows:
        result = engine.index.search(str(row.get("question", "")), method=method)
        codes = engine.cited_codes(result)  # one per group, as the engine's replies cite them
        out.append({"id": row["id"], "intent": "procedure", "procedures": codes, "faq": [], "confident": True})
    return out


def _rank(ranked: list[str], gold: set[str]) -> int | None:
    for i, code in enumerate(ranked[:10]):
        if code in gold:
            return i + 1
    return None


def gold_intent(row: dict) -> str | None:
    """The intent a gold row expects; portal rows labelled by us carry a `label` instead."""
    if "intent" in row:
        return row["intent"]
    if "label" in row:
        return "procedure" if row["label"] == "procedure" else "out_of_scope"
    return None


def declined_outright(prediction: dict[str, Any]) -> bool:
    """Neither answered nor offered procedures or FAQ topics to choose from: declined with the
    pointer, or taken as small talk. score.py's decline rate also counts a clarifying question
    ("did you mean …") as declined, which is not what a citizen asking about a divorce should get."""
    return prediction.get("decision") == "decline" or prediction.get("intent") in ("out_of_scope", "chitchat")


def score_questions(gold_rows: list[dict], predictions: list[dict]) -> dict[str, Any]:
    """Top-k by style, FAQ top-1, intent accuracy, declines, and trust, exactly as
    shared/eval/score.py counts them (tests/test_eval_contract.py keeps the two agreeing); and the
    aspect of procedure questions, which score.py reads in dialogue turns only."""
    by_id = {p["id"]: p for p in predictions}
    acc: dict[str, dict[str, float]] = defaultdict(lambda: {"n": 0, "top1": 0, "top3": 0, "mrr": 0.0})
    intents = {"n": 0, "ok": 0}
    faq = {"n": 0, "top1": 0}
    decline = {"n": 0, "declined": 0, "outright": 0}
    trust = {"n": 0, "confident_wrong": 0, "helpful": 0}
    aspects = {"n": 0, "ok": 0}  # not in score.py (it counts aspects in dialogues only): what an answer leads with
    for g in gold_rows:
        p = by_id.get(g["id"])
        if p is None:
            continue
        intent = gold_intent(g)
        if "intent" in g:
            intents["n"] += 1
            intents["ok"] += p.get("intent") == g.get("intent")
        if intent == "procedure" and g.get("gold"):
            r = _rank(p.get("procedures") or [], set(g["gold"]))
            decision = p.get("decision") or ("answer" if p.get("confident", True) else "clarify")
            answered = p.get("intent") == "procedure" and decision == "answer"
            trust["n"] += 1
            if g.get("aspect"):
                aspects["n"] += 1
                aspects["ok"] += p.get("aspect") == g["aspect"]
            trust["confident_wrong"] += answered and r != 1
            trust["helpful"] += (answered and r == 1) or (decision == "clarify" and r is not None and r <= 3)
            for key in ("all", g.get("style", "real")):
                a = acc[key]
                a["n"] += 1
                a["top1"] += r == 1
                a["top3"] += r is not None and r <= 3
                a["mrr"] += 1.0 / r if r else 0.0
        elif intent == "faq":
            faq["n"] += 1
            faq["top1"] += (p.get("faq") or [None])[0] == g.get("faq")
        elif intent == "out_of_scope" or g.get("label") in ("not_in_catalogue", "information"):
            decline["n"] += 1
            decline["declined"] += not (p.get("intent") == "procedure" and p.get("confident", True))
            decline["outright"] += declined_outright(p)
    styles = {k: {"n": int(v["n"]), "top1": v["top1"] / v["n"], "top3": v["top3"] / v["n"], "mrr": v["mrr"] / v["n"]}
              for k, v in sorted(acc.items()) if v["n"]}
    return {
        "styles": styles,
        "faq_top1": faq["top1"] / faq["n"] if faq["n"] else None,
        "intent_accuracy": intents["ok"] / intents["n"] if intents["n"] else None,
        "decline_rate": decline["declined"] / decline["n"] if decline["n"] else None,
        "declined_outright": decline["outright"] / decline["n"] if decline["n"] else None,
        "confident_wrong": trust["confident_wrong"] / trust["n"] if trust["n"] else None,
        "helpful": trust["helpful"] / trust["n"] if trust["n"] else None,
        "aspect_accuracy": aspects["ok"] / aspects["n"] if aspects["n"] else None,
    }


def turn_right(turn: dict, prediction: dict | None, codes_of: dict[str, set[str]]) -> bool:
    """One dialogue turn as score.py counts it: the intent, and for a procedure turn the first code
    in the turn's groups and the aspect."""
    if prediction is None or prediction.get("intent") != turn["intent"]:
        return False
    if turn["intent"] != "procedure":
        return True
    wanted = set().union(*(codes_of[g] for g in turn.get("groups") or []))
    return (prediction.get("procedures") or [None])[0] in wanted and prediction.get("aspect") == turn.get("aspect")


def turn_outcomes(dialogues: list[dict], predictions: list[dict], targets: dict) -> list[list[bool]]:
    """Per dialogue, whether each turn was right (in order)."""
    codes_of = {g["group"]: set(g["codes"]) for g in targets["procedure_groups"]}
    by_key = {(p["id"], p.get("turn")): p for p in predictions}
    return [[turn_right(turn, by_key.get((dialogue["id"], i)), codes_of) for i, turn in enumerate(dialogue["turns"])]
            for dialogue in dialogues]


def score_dialogues(dialogues: list[dict], predictions: list[dict], targets: dict) -> dict[str, Any]:
    outcomes = [right for dialogue in turn_outcomes(dialogues, predictions, targets) for right in dialogue]
    return {"turns": len(outcomes), "turns_right": sum(outcomes) / len(outcomes) if outcomes else None}


def score_portal(predictions: list[dict]) -> dict[str, Any]:
    """Unlabelled real questions: how often we answer, clarify, decline; do accent twins agree."""
    n = len(predictions)
    confident = sum(1 for p in predictions if p["confident"] and p["intent"] in ("procedure", "faq"))
    clarified = sum(1 for p in predictions if p.get("decision") == "clarify")
    declined = n - confident - clarified
    by_id = {p["id"]: p for p in predictions}
    pairs = agree = 0
    for p in predictions:
        number = int(p["id"].split("-")[-1])
        if number > 200:
            continue
        twin = by_id.get(f"portal-{number + 200:03d}")
        if twin is None:
            continue
        pairs += 1
        first = (p["procedures"] or [None])[0], (p["faq"] or [None])[0], p["intent"]
        second = (twin["procedures"] or [None])[0], (twin["faq"] or [None])[0], twin["intent"]
        agree += first[2] == second[2] and (first[0] == second[0] if first[2] == "procedure" else first[1] == second[1] if first[2] == "faq" else True)
    return {"n": n, "confident": confident / n if n else 0, "clarified": clarified / n if n else 0,
            "declined": declined / n if n else 0, "twins_agree": agree / pairs if pairs else None}
