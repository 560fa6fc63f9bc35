"""`tthc eval`'s tables (every set a column, counts per style right for each set) and the figure it
adds beside score.py's (declined outright)."""

from rich.console import Console

from bot.tools.eval_report import _style_table, side_by_side
from bot.tools.evaluation import score_questions


def _scores(n_formal: int, top1: float) -> dict:
    return {"top1": top1, "top3": 1.0, "mrr": top1, "styles": {
        "all": {"n": n_formal + 2, "top1": top1, "top3": 1.0, "mrr": top1},
        "formal": {"n": n_formal, "top1": top1, "top3": 1.0, "mrr": top1},
        "typo": {"n": 2, "top1": 0.5, "top3": 1.0, "mrr": 0.75}}}


def _text(table) -> str:
    console = Console(width=200, record=True)
    console.print(table)
    return console.export_text()


def test_style_table_names_each_sets_count_when_they_differ():
    text = _text(_style_table("t", {"a": _scores(10, 0.8), "b": _scores(30, 0.6)}))
    assert "formal (n=10/30)" in text and "typo (n=2)" in text
    assert "0.800" in text and "0.600" in text


def test_side_by_side_ignores_styles_and_shows_missing_figures_as_dashes():
    text = _text(side_by_side("t", {"a · dev": {**_scores(10, 0.8), "turns_right": None},
                                    "a · dialogues": {"turns_right": 0.75}}))
    assert "0.800" in text and "0.750" in text and "-" in text


def test_a_clarifying_question_counts_as_declined_for_score_py_but_not_as_declined_outright():
    gold = [{"id": f"q{i}", "question": "?", "intent": "out_of_scope"} for i in range(4)]
    predictions = [
        {"id": "q0", "intent": "out_of_scope", "decision": "decline", "confident": False, "procedures": []},
        {"id": "q1", "intent": "procedure", "decision": "decline", "confident": False, "procedures": ["1.1"]},
        {"id": "q2", "intent": "procedure", "decision": "clarify", "confident": False, "procedures": ["1.1", "1.2"]},
        {"id": "q3", "intent": "procedure", "decision": "answer", "confident": True, "procedures": ["1.1"]},
    ]
    scores = score_questions(gold, predictions)
    assert scores["decline_rate"] == 0.75
    assert scores["declined_outright"] == 0.5
