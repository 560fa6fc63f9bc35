"""Property tests: arbitrary text never breaks the normaliser, the importers' parsers or the engine."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.types import Incoming
from indexer.normalize import Normalizer
from knowledge.importers.flattened import parse_channels, parse_documents, parse_legal_basis

vietnamese = st.text(alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ ?,.0123456789")), max_size=200)
anything = st.one_of(st.text(max_size=400), vietnamese)


@settings(max_examples=300, deadline=None)
@given(anything)
def test_normaliser_is_total_and_idempotent_on_folded_output(text):
    normalizer = Normalizer()
    query = normalizer.query(text)
    assert isinstance(query.folded, str)
    assert query.folded == query.folded.lower()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_flattened_parsers_never_raise(text):
    parse_channels(text)
    parse_documents(text)
    parse_legal_basis(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(anything)
def test_engine_always_replies(mini_engine, text):
    reply = mini_engine.handle(Incoming("test", "u", text))
    assert reply.text and reply.intent in ("procedure", "faq", "feedback", "status", "chitchat", "out_of_scope")
    assert len(reply.procedures) <= 10
