"""The state store's behaviour on both backends, and the SQLite backend's schema, hashing and locking."""

from __future__ import annotations

import contextlib
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.dynamo_standin import dynamo_endpoint, dynamo_store  # noqa: F401  (dynamo_endpoint is a fixture)
from support.sqlite_files import stored_bytes

from skill.cli.state import progress_summary
from skill.config import Settings
from skill.errors import ConfigError
from skill.progression import Rating, SessionRecord
from skill.routines import BandLevel, Place, Variant
from skill.state import InProgress, StateError, Store, UserState, hash_user, load_secret, make_store
from skill.state import model as state_module
from skill.state.codec import decode_state, encode_state
from skill.state.dynamodb import DynamoDBStore
from skill.state.sqlite import _SESSION_NAMES, MIGRATIONS, SCHEMA_VERSION, SQLiteStore

ALEXA_ID = "amzn1.ask.account.AFAKEIDFORTESTS0123456789"
NOW = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)


def session(routine: str = "recovery", *, days_ago: float = 0, completed: bool = True, extra: int = 0) -> SessionRecord:
    return SessionRecord(routine, Variant.STANDARD, BandLevel.LIGHT, extra, NOW - timedelta(days=days_ago), 600,
                         completed)


def position(step: int, *, token: str | None = None) -> InProgress:
    place = Place("recovery", Variant.STANDARD, BandLevel.LIGHT, 1, step, int(NOW.timestamp()))
    return InProgress(place, token=token, offset_ms=1500 if token else 0)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "state" / "bandcoach.sqlite3", secret=b"test-secret")


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Each behavioural test runs on both backends, so they cannot drift apart."""
    if request.param == "sqlite":
        return SQLiteStore(tmp_path / "bandcoach.sqlite3", secret=b"test-secret")
    return dynamo_store(request.getfixturevalue("dynamo_endpoint"), monkeypatch)


# Behaviour shared by both backends.

def test_new_user_gets_defaults(store: Store) -> None:
    assert store.load(ALEXA_ID) == UserState()


def test_position_round_trips_with_hands_free_token(store: Store) -> None:
    store.set_in_progress(ALEXA_ID, position(4, token="recovery:standard:4"))
    assert store.load(ALEXA_ID).in_progress == position(4, token="recovery:standard:4")


def test_record_workout_appends_history_and_clears_position(store: Store) -> None:
    store.set_in_progress(ALEXA_ID, position(2))
    store.record_workout(ALEXA_ID, session(days_ago=1))
    state = store.record_workout(ALEXA_ID, session(completed=False))
    assert store.load(ALEXA_ID) == state
    assert state.in_progress is None
    assert state.history == (session(days_ago=1), session(completed=False))


def test_record_workout_can_keep_the_position(store: Store) -> None:
    store.set_in_progress(ALEXA_ID, position(2))
    assert store.record_workout(ALEXA_ID, session(), clear_position=False).in_progress == position(2)


def test_default_and_routine_bands_are_kept_apart(store: Store) -> None:
    store.set_band(ALEXA_ID, None, BandLevel.MEDIUM)
    store.set_band(ALEXA_ID, "glutes", BandLevel.HEAVY)
    state = store.load(ALEXA_ID)
    assert (state.band, state.band_for("glutes"), state.band_for("recovery")) == (
        BandLevel.MEDIUM, BandLevel.HEAVY, BandLevel.MEDIUM)


def test_locale_preference_is_kept(store: Store) -> None:
    store.set_locale(ALEXA_ID, "en-GB")
    assert store.load(ALEXA_ID).preferences.locale == "en-GB"


def test_users_do_not_see_each_other(store: Store) -> None:
    store.record_workout(ALEXA_ID, session())
    assert store.load(ALEXA_ID + "-other") == UserState()


def test_forget_deletes_and_reports_whether_anything_was_there(store: Store) -> None:
    store.record_workout(ALEXA_ID, session())
    store.set_band(ALEXA_ID, "glutes", BandLevel.HEAVY)
    assert store.forget(ALEXA_ID) is True
    assert store.load(ALEXA_ID) == UserState()
    assert store.forget(ALEXA_ID) is False


def test_history_keeps_only_the_newest_sessions(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_module, "HISTORY_LIMIT", 3)
    for day in range(5, 0, -1):
        store.record_workout(ALEXA_ID, session(days_ago=day))
    assert store.load(ALEXA_ID).history == tuple(session(days_ago=d) for d in (3, 2, 1))


def test_any_history_rewrite_is_stored_exactly(store: Store) -> None:
    for day in (3, 2, 1):
        store.record_workout(ALEXA_ID, session(days_ago=day))
    store.update(ALEXA_ID, lambda s: replace(s, history=(s.history[0], s.history[2], session("glutes"))))
    assert store.load(ALEXA_ID).history == (session(days_ago=3), session(days_ago=1), session("glutes"))


def test_set_in_progress_leaves_a_long_history_untouched(store: Store) -> None:
    history = tuple(session(days_ago=n / 10) for n in range(state_module.HISTORY_LIMIT, 0, -1))
    store.update(ALEXA_ID, lambda s: replace(s, history=history))
    with _history_not_rewritten(store):
        store.set_in_progress(ALEXA_ID, position(3))
        store.set_in_progress(ALEXA_ID, position(4))
    assert store.load(ALEXA_ID) == UserState(in_progress=position(4), history=history)


@contextlib.contextmanager
def _history_not_rewritten(store: Store) -> Iterator[None]:
    """Fail unless the block leaves the stored history alone.

    SQLite: the session rows keep their seqs (a rewrite renumbers them). DynamoDB: only UpdateItem
    is sent (no GetItem or PutItem of the whole item) and the `state` attribute is unchanged.
    """
    if isinstance(store, SQLiteStore):
        def rows() -> list[tuple]:
            with contextlib.closing(sqlite3.connect(store.path)) as conn:
                return conn.execute("SELECT seq, started_at FROM sessions ORDER BY seq").fetchall()
        before = rows()
        yield
        assert rows() == before
        return
    assert isinstance(store, DynamoDBStore)
    key = {"user": {"S": store.key(ALEXA_ID)}}
    state_before = store.client.get_item(TableName=store.table, Key=key)["Item"]["state"]
    sent: list[str] = []
    record = lambda model, **_: sent.append(model.name)  # noqa: E731
    store.client.meta.events.register("before-call.dynamodb.*", record)
    try:
        yield
    finally:
        store.client.meta.events.unregister("before-call.dynamodb.*", record)
    assert set(sent) == {"UpdateItem"}
    assert store.client.get_item(TableName=store.table, Key=key)["Item"]["state"] == state_before


def test_a_failing_update_changes_nothing(store: Store) -> None:
    store.set_in_progress(ALEXA_ID, position(1))

    def broken(state: UserState) -> UserState:
        raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError):
        store.update(ALEXA_ID, broken)
    assert store.load(ALEXA_ID).in_progress == position(1)


def test_fifty_concurrent_users_lose_no_update(store: Store) -> None:
    users = [f"{ALEXA_ID}-{n}" for n in range(50)]

    def workout(user: str) -> None:
        for step in range(20):
            store.set_in_progress(user, position(step))
        store.record_workout(user, session(), clear_position=False)

    _run_threads([lambda u=u: workout(u) for u in users])
    for user in users:
        state = store.load(user)
        assert (state.in_progress, state.history) == (position(19), (session(),)), user


def one_set_more(kept: InProgress) -> InProgress:
    return replace(kept, place=replace(kept.place, extra_sets=kept.place.extra_sets + 1))


def test_two_threads_on_one_user_lose_no_increment(store: Store) -> None:
    def add_sets() -> None:
        for _ in range(40):
            store.update(ALEXA_ID, lambda s: replace(s, in_progress=one_set_more(s.in_progress or position(0))))

    _run_threads([add_sets, add_sets])
    assert store.load(ALEXA_ID).in_progress.place.extra_sets == 1 + 80  # position(0) starts with one extra set


def _run_threads(targets: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


# SQLite: schema, migrations, locking.

def test_migrate_from_empty_reaches_the_latest_schema(sqlite_store: SQLiteStore) -> None:
    assert sqlite_store.schema_version() == 0
    assert sqlite_store.migrate() == SCHEMA_VERSION == len(MIGRATIONS) >= 2
    assert sqlite_store.migrate() == SCHEMA_VERSION  # idempotent


def test_migrate_from_v1_keeps_the_band_as_the_default_band(sqlite_store: SQLiteStore) -> None:
    assert sqlite_store.migrate(target=1) == 1
    with sqlite3.connect(sqlite_store.path) as conn:
        conn.execute("INSERT INTO users (user, band, updated_at) VALUES (?, 'heavy', '2026-01-01')",
                     (sqlite_store.key(ALEXA_ID),))
    assert sqlite_store.migrate() == SCHEMA_VERSION
    assert sqlite_store.load(ALEXA_ID).preferences.default_band is BandLevel.HEAVY


def test_first_use_migrates_without_being_asked(sqlite_store: SQLiteStore) -> None:
    sqlite_store.set_locale(ALEXA_ID, "en-AU")
    assert sqlite_store.schema_version() == SCHEMA_VERSION


def test_a_newer_schema_is_refused_with_the_fix(sqlite_store: SQLiteStore) -> None:
    sqlite_store.migrate()
    with sqlite3.connect(sqlite_store.path) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StateError, match="upgrade bandcoach"):
        SQLiteStore(sqlite_store.path, secret=b"test-secret").load(ALEXA_ID)


def test_database_is_in_wal_mode_with_parent_dirs_created(sqlite_store: SQLiteStore) -> None:
    sqlite_store.migrate()
    with sqlite3.connect(sqlite_store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_update_waits_for_another_writer_instead_of_failing(sqlite_store: SQLiteStore) -> None:
    sqlite_store.migrate()
    blocker = sqlite3.connect(sqlite_store.path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: blocker.execute("COMMIT"))
    release.start()
    try:
        sqlite_store.set_in_progress(ALEXA_ID, position(3))
    finally:
        release.join()
        blocker.close()
    assert sqlite_store.load(ALEXA_ID).in_progress == position(3)


def test_raw_alexa_ids_never_reach_the_file(sqlite_store: SQLiteStore) -> None:
    sqlite_store.record_workout(ALEXA_ID, session())
    with sqlite3.connect(sqlite_store.path) as conn:
        keys = {row[0] for row in conn.execute("SELECT user FROM users UNION SELECT user FROM sessions")}
    assert keys == {hash_user(b"test-secret", ALEXA_ID)}
    stored = stored_bytes(sqlite_store.path)
    assert hash_user(b"test-secret", ALEXA_ID).encode() in stored  # the bytes read do hold the rows
    assert b"amzn1" not in stored


def test_unusable_database_path_raises_state_error_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StateError, match="BANDCOACH_DB"):
        SQLiteStore(tmp_path / "file" / "db.sqlite3", secret=b"k").load(ALEXA_ID)


# Hashing, the secret, and choosing a backend.

def test_hash_depends_on_the_secret_and_is_stable() -> None:
    assert hash_user(b"a", ALEXA_ID) == hash_user(b"a", ALEXA_ID) != hash_user(b"b", ALEXA_ID)
    assert len(hash_user(b"a", ALEXA_ID)) == 64 and ALEXA_ID not in hash_user(b"a", ALEXA_ID)


def test_empty_user_id_is_refused() -> None:
    with pytest.raises(StateError, match="Alexa user id"):
        hash_user(b"a", "")


def test_generated_secret_is_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = load_secret(settings)
    mode = stat.S_IMODE((tmp_path / "data" / "secret").stat().st_mode)
    assert (mode, len(first), load_secret(settings)) == (0o600, 64, first)
    assert not [p for p in (tmp_path / "data").iterdir() if p.name != "secret"]  # no temp files left


def test_empty_secret_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("\n")
    with pytest.raises(StateError, match="restore it from a backup"):
        load_secret(Settings(data_dir=tmp_path))


def test_configured_secret_wins_and_writes_no_file(tmp_path: Path) -> None:
    assert load_secret(Settings(data_dir=tmp_path, secret="s3cret")) == b"s3cret"
    assert not (tmp_path / "secret").exists()


def test_make_store_defaults_to_sqlite_at_the_configured_path(tmp_path: Path) -> None:
    store = make_store(Settings(data_dir=tmp_path, db=tmp_path / "x" / "state.db"))
    assert isinstance(store, SQLiteStore) and store.path == tmp_path / "x" / "state.db"


def test_make_store_chooses_dynamodb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store = make_store(Settings(state="dynamodb", secret="s", dynamodb_table="t", aws_region="eu-west-1",
                                aws_endpoint_url="http://127.0.0.1:9"))
    assert isinstance(store, DynamoDBStore) and store.table == "t"
    assert store.client.meta.region_name == "eu-west-1"


def test_dynamodb_without_a_secret_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="BANDCOACH_SECRET"):
        make_store(Settings(state="dynamodb", data_dir=tmp_path))


def test_progress_summary_has_streak_and_week_count() -> None:
    state = UserState(history=(session(days_ago=2), session(days_ago=1), session(), session(completed=False)))
    summary = progress_summary(state, now=NOW)
    assert (summary["streak_days"], summary["workouts_this_week"]) == (3, 2)  # NOW is a Tuesday
    assert summary["in_progress"] is None and len(summary["history"]) == 4


def test_session_columns_are_in_session_record_field_order() -> None:
    """SQLite rows become SessionRecords positionally, so the column list must follow the fields."""
    assert [f.name for f in fields(SessionRecord)] == _SESSION_NAMES


def test_an_unknown_band_in_a_stored_session_is_refused_not_misread(sqlite_store: SQLiteStore) -> None:
    sqlite_store.record_workout(ALEXA_ID, session())
    with sqlite3.connect(sqlite_store.path) as conn:
        conn.execute("UPDATE sessions SET band = 'titanium'")
    another_process = SQLiteStore(sqlite_store.path, secret=b"test-secret")  # nothing decoded in memory yet
    with pytest.raises(ValueError, match="titanium"):
        another_process.load(ALEXA_ID)


# What progression and the week plan keep: ratings, bands owned, running days, reminders.

def test_the_rating_of_the_newest_workout_is_kept(store: Store) -> None:
    store.record_workout(ALEXA_ID, session())
    store.update(ALEXA_ID, lambda s: s.with_rating(Rating.HARD))
    assert store.load(ALEXA_ID).history[-1].rating is Rating.HARD


def test_rating_with_no_workout_changes_nothing(store: Store) -> None:
    assert store.update(ALEXA_ID, lambda s: s.with_rating(Rating.EASY)).history == ()


def test_the_bands_owned_are_kept_lightest_first(store: Store) -> None:
    store.update(ALEXA_ID, lambda s: s.with_owned({BandLevel.HEAVY, BandLevel.LIGHT}))
    assert store.load(ALEXA_ID).owned == (BandLevel.LIGHT, BandLevel.HEAVY)


def test_running_days_and_reminders_are_kept(store: Store) -> None:
    store.update(ALEXA_ID, lambda s: replace(s, running_days=(1, 3, 5), reminders=("tok-1", "tok-2")))
    loaded = store.load(ALEXA_ID)
    assert (loaded.running_days, loaded.reminders) == ((1, 3, 5), ("tok-1", "tok-2"))


def test_a_v3_database_migrates_keeping_every_session_and_band(sqlite_store: SQLiteStore) -> None:
    assert sqlite_store.migrate(target=3) == 3
    key = sqlite_store.key(ALEXA_ID)
    with sqlite3.connect(sqlite_store.path) as conn:
        conn.execute("INSERT INTO users (user, default_band, updated_at) VALUES (?, 'medium', '2026-01-01')", (key,))
        conn.execute("INSERT INTO sessions (user, seq, routine, variant, band, extra_sets, started_at, "
                     "duration_seconds, completed) VALUES (?, 0, 'glutes', 'standard', 'light', 1, ?, 700, 1)",
                     (key, datetime(2026, 1, 1, tzinfo=UTC).isoformat()))
    assert sqlite_store.migrate() == SCHEMA_VERSION
    loaded = sqlite_store.load(ALEXA_ID)
    assert loaded.preferences.default_band is BandLevel.MEDIUM and loaded.owned == ()
    assert [(s.routine, s.extra_sets, s.completed, s.rating) for s in loaded.history] == [("glutes", 1, True, None)]


@pytest.mark.parametrize("days", [(), (0, 6)])
def test_running_days_survive_a_round_trip_through_the_json_document(days: tuple[int, ...]) -> None:
    assert decode_state(encode_state(UserState(running_days=days))).running_days == days
