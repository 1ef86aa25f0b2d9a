"""Console sessions in Redis: stored under the id's digest with a TTL, deleted on logout, tokens by digest."""

from __future__ import annotations

from tasks_engine.store import RedisStore, Role, token_digest
from tasks_engine.store.sessions import ConsoleSession, SessionStore, session_digest


def test_a_session_is_kept_under_its_ids_digest_with_a_ttl_and_can_be_deleted(store: RedisStore) -> None:
    sessions = SessionStore(store)
    session = ConsoleSession("d" * 64, "csrf-token", 2_000_000_000)
    sessions.save("the-session-id", session, ttl=60)
    assert sessions.get("the-session-id") == session
    key = store.keys.session(session_digest("the-session-id"))
    assert 0 < store.client.ttl(key) <= 60
    assert not store.client.exists(store.keys.session("the-session-id"))  # the id itself is not a key
    sessions.delete("the-session-id")
    assert sessions.get("the-session-id") is None


def test_a_token_is_found_by_its_digest_until_it_is_deleted(store: RedisStore) -> None:
    sessions = SessionStore(store)
    token = store.create_token("ops", Role.RUNNER)
    assert token is not None
    record = sessions.token_by_digest(token_digest(token))
    assert record is not None and (record.name, record.role) == ("ops", Role.RUNNER)
    store.delete_token("ops")
    assert sessions.token_by_digest(token_digest(token)) is None
    assert sessions.token_by_digest("0" * 64) is None
