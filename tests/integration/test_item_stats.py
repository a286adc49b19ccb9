"""The item analysis's daily sums: attempts queued by `submit_attempt` and added when the
report reads them (`catch_up_item_stats`), backfilled by migration 0003, and read by the
report with the same figures as a count over the answers, concurrent submissions and
catch-ups included."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import Counter, defaultdict

import pytest
import sqlalchemy as sa
import yaml
from alembic import command
from conftest import DATABASES, POSTGRES_URL, _reset_postgres
from factories import FIXTURES
from sqlalchemy import orm

from portal.accounts.models import User
from portal.accounts.service import create_user
from portal.db import make_engine, session_scope
from portal.learning.item_stats import catch_up_item_stats, rebuild_item_stats
from portal.learning.models import Answer, Attempt, ChoicePicksDaily, ItemStatsDaily, ItemStatsPending
from portal.learning.quizzes import Catalog, Quiz
from portal.learning.records import RecordError, issue_token, submit_attempt
from portal.learning.scoring import AnswerError, option_ids
from portal.learning.tokens import TokenSigner
from portal.migrations import alembic_config, upgrade
from portal.reports.items import ItemSums, discrimination, facility
from portal.reports.queries import Filters, item_analysis

DAY = dt.datetime(2026, 3, 1)
SIGNER = TokenSigner("test-secret")


def fixture_quiz(**overrides) -> Quiz:
    data = yaml.safe_load((FIXTURES / "quizzes" / "essentiel.yml").read_text(encoding="utf-8"))
    return Quiz({**data, **overrides})


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def learners(engine, count: int) -> list[User]:
    with session_scope(engine) as s:
        return [create_user(s, f"l{i}@example.com", f"Apprenant {i}", None) for i in range(count)]


def submit(engine, user: User, quiz: Quiz, answers: dict, when: dt.datetime) -> Attempt:
    with orm_session(engine) as s:
        token = issue_token(s, user.id, quiz, SIGNER)
        attempt, created = submit_attempt(s, user, quiz, token.token, answers, now=when, signer=SIGNER)
        assert created
        return attempt


def orm_session(engine):
    return orm.Session(engine, expire_on_commit=False)


def random_answers(quiz: Quiz, rng: random.Random) -> dict:
    answers = {}
    for q in quiz.questions:
        ids = option_ids(q)
        if q["type"] == "numeric":
            answers[q["id"]] = rng.choice([0.8, 0.803, 0.9, 8, -1])
        elif q["type"] == "multiple":
            answers[q["id"]] = rng.sample(ids, rng.randint(0, len(ids)))
        elif q["type"] == "ordering":
            answers[q["id"]] = rng.sample(ids, len(ids))
        else:
            answers[q["id"]] = [rng.choice(ids)]
    return answers


def daily_rows(conn) -> tuple[list, list]:
    tables = (ItemStatsDaily.__table__, ChoicePicksDaily.__table__)
    return tuple(
        [tuple(row) for row in conn.execute(sa.select(t).order_by(*t.primary_key.columns))] for t in tables
    )


def from_answers(session, filters: Filters) -> dict[tuple[str, str], dict]:
    """The report's figures counted in Python over every answer: the oracle."""
    found = session.execute(
        sa.select(Attempt.quiz_id, Attempt.submitted_at, Attempt.score, Answer.question_id, Answer.mark,
                  Answer.max_mark, Answer.correct, Answer.response)
        .join(Attempt, Attempt.id == Answer.attempt_id)
    )
    marks: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    listed: Counter[tuple[str, str]] = Counter()
    picks: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for quiz_id, when, score, qid, mark, _max_mark, correct, response in found:
        if (filters.start and when.date() < filters.start) or (filters.end and when.date() > filters.end):
            continue
        if filters.quiz and quiz_id != filters.quiz:
            continue
        key = (quiz_id, qid)
        marks[key].append((mark, score - mark))
        if isinstance(response, list):
            listed[key] += 1
            if not correct:
                picks[key].update(response)
    expected = {}
    for key, pairs in marks.items():
        xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
        sums = ItemSums(len(pairs), 1.0, sum(xs), sum(x * x for x in xs), sum(ys), sum(y * y for y in ys),
                        sum(x * y for x, y in pairs))
        fac, disc = facility(sums), discrimination(sums)
        shares = {c: round(100 * n / listed[key], 1) for c, n in sorted(picks[key].items())}
        expected[key] = {
            "reponses": len(pairs), "facilite": None if fac is None else round(fac, 3),
            "discrimination": None if disc is None else round(disc, 3),
            "mauvais_choix": ", ".join(f"{c}\u00a0: {f'{s:g}'.replace('.', ',')}\u00a0%" for c, s in shares.items()),
        }
    return expected


def reported(session, catalog: Catalog, filters: Filters) -> dict[tuple[str, str], dict]:
    keys = ["reponses", "facilite", "discrimination", "mauvais_choix"]
    return {(r["quiz"], r["question"]): {k: r[k] for k in keys} for r in item_analysis(session, catalog, filters)}


def queued(engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.scalars(sa.select(ItemStatsPending.attempt_id)))


def catch_up(engine) -> bool:
    with engine.begin() as conn:
        return catch_up_item_stats(conn)


def rebuilt_rows(engine) -> tuple[list, list]:
    """Both tables recomputed by `rebuild_item_stats`, in a transaction rolled back."""
    with engine.connect() as conn:
        rebuild_item_stats(conn)
        rows = daily_rows(conn)
        conn.rollback()
    return rows


def assert_same_sums(kept: tuple[list, list], rebuilt: tuple[list, list]) -> None:
    assert [r[:5] for r in kept[0]] == [r[:5] for r in rebuilt[0]]  # keys, n, answers given as choices
    assert [r[5:] for r in kept[0]] == [pytest.approx(r[5:], rel=1e-9, abs=1e-9) for r in rebuilt[0]]
    assert kept[1] == rebuilt[1] and kept[1]


def answers_summed(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.coalesce(sa.func.sum(ItemStatsDaily.n), 0)))


def test_caught_up_sums_equal_the_sums_rebuilt_from_the_answers(engine):
    rng = random.Random(7)
    quizzes = [fixture_quiz(), fixture_quiz(id="strict", partial_credit=False)]
    catalog = Catalog(quizzes={q.id: q for q in quizzes})
    questions = len(quizzes[0].questions)
    people = learners(engine, 5)
    recorded = []
    for i in range(40):
        when = DAY + dt.timedelta(days=rng.randrange(4), seconds=rng.randrange(86_400))
        quiz = rng.choice(quizzes)
        recorded.append(submit(engine, rng.choice(people), quiz, random_answers(quiz, rng), when).id)
        if i in (14, 29):
            assert catch_up(engine)  # in three steps: the sums add up across catch-ups
    # A submission only queues its attempt; the sums wait for the next catch-up.
    assert queued(engine) == sorted(recorded[30:])
    assert answers_summed(engine) == 30 * questions

    assert catch_up(engine)
    assert queued(engine) == [] and answers_summed(engine) == 40 * questions
    with engine.connect() as conn:
        kept = daily_rows(conn)
    assert not catch_up(engine)  # nothing queued: nothing written, nothing added twice
    with engine.connect() as conn:
        assert daily_rows(conn) == kept
    rebuilt = rebuilt_rows(engine)
    assert_same_sums(kept, rebuilt)
    # …and the report gives what a count over the answers gives, with or without filters.
    windows = [Filters(), Filters(quiz="strict"), Filters(start=(DAY + dt.timedelta(days=1)).date(),
                                                          end=(DAY + dt.timedelta(days=2)).date())]
    with orm_session(engine) as s:
        for filters in windows:
            assert reported(s, catalog, filters) == from_answers(s, filters), filters


def test_rebuild_leaves_queued_attempts_to_the_catch_up(engine):
    rng = random.Random(3)
    quiz = fixture_quiz()
    questions = len(quiz.questions)
    people = learners(engine, 2)
    for _ in range(6):
        submit(engine, rng.choice(people), quiz, random_answers(quiz, rng), DAY)
    assert catch_up(engine)
    later = [submit(engine, rng.choice(people), quiz, random_answers(quiz, rng), DAY).id for _ in range(4)]
    with engine.begin() as conn:
        rebuild_item_stats(conn)
    # The rebuild counts the attempts added up before; the queued ones stay queued…
    assert answers_summed(engine) == 6 * questions and queued(engine) == sorted(later)
    # …and the next catch-up adds them once.
    assert catch_up(engine)
    assert answers_summed(engine) == 10 * questions and queued(engine) == []
    with engine.connect() as conn:
        kept = daily_rows(conn)
    assert_same_sums(kept, rebuilt_rows(engine))


def test_only_recorded_attempts_are_queued(engine):
    quiz = fixture_quiz(max_attempts=2)
    (person,) = learners(engine, 1)
    rng = random.Random(5)
    with orm_session(engine) as s:
        first_token = issue_token(s, person.id, quiz, SIGNER).token
        first, _ = submit_attempt(s, person, quiz, first_token, random_answers(quiz, rng), now=DAY, signer=SIGNER)
        with pytest.raises(AnswerError):  # answers that can't be graded
            submit_attempt(s, person, quiz, issue_token(s, person.id, quiz, SIGNER).token, {"unique": ["z"]},
                           now=DAY, signer=SIGNER)
        s.rollback()
        second, _ = submit_attempt(s, person, quiz, issue_token(s, person.id, quiz, SIGNER).token,
                                   random_answers(quiz, rng), now=DAY, signer=SIGNER)
        with pytest.raises(RecordError):  # the limit is reached
            submit_attempt(s, person, quiz, SIGNER.sign(person.id, quiz.id).token, random_answers(quiz, rng),
                           now=DAY, signer=SIGNER)
        s.rollback()
        replayed, created = submit_attempt(s, person, quiz, first_token, random_answers(quiz, rng),
                                           now=DAY, signer=SIGNER)
        assert (replayed.id, created) == (first.id, False)
    assert queued(engine) == sorted([first.id, second.id])


def test_concurrent_submissions_and_catch_ups_keep_the_sums_exact(engine):
    """Submissions of one quiz on one day (the same rows of sums) while reports catch up."""
    quiz = fixture_quiz()
    catalog = Catalog(quizzes={quiz.id: quiz})
    people = learners(engine, 6)
    per_learner = 8
    start = threading.Barrier(len(people) + 2)
    submitting = threading.Event()
    submitting.set()
    caught_up_meanwhile: list[bool] = []
    failures: list[BaseException] = []

    def submitter(index: int, person: User) -> None:
        rng = random.Random(index)
        try:
            start.wait()
            for k in range(per_learner):
                submit(engine, person, quiz, random_answers(quiz, rng), DAY + dt.timedelta(seconds=k))
        except BaseException as exc:  # noqa: BLE001 -- reported by the main thread
            failures.append(exc)

    def reporter() -> None:
        try:
            start.wait()
            while submitting.is_set():
                with orm_session(engine) as s:
                    caught_up_meanwhile.append(catch_up_item_stats(s.connection()))
                    s.commit()
                    item_analysis(s, catalog, Filters())  # the report's own catch-up, then its reads
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    submitters = [threading.Thread(target=submitter, args=(i, p)) for i, p in enumerate(people)]
    reporters = [threading.Thread(target=reporter) for _ in range(2)]
    for thread in submitters + reporters:
        thread.start()
    for thread in submitters:
        thread.join(120)
    submitting.clear()
    for thread in reporters:
        thread.join(120)
    assert not failures, failures
    assert any(caught_up_meanwhile)  # catch-ups did run among the submissions

    total = len(people) * per_learner
    with orm_session(engine) as s:
        assert reported(s, catalog, Filters()) == from_answers(s, Filters())
        assert next(iter(reported(s, catalog, Filters()).values()))["reponses"] == total
    assert queued(engine) == []
    assert answers_summed(engine) == total * len(quiz.questions)
    with engine.connect() as conn:
        kept = daily_rows(conn)
    assert_same_sums(kept, rebuilt_rows(engine))


def test_date_window_counts_attempts_by_their_day(engine):
    quiz = fixture_quiz()
    catalog = Catalog(quizzes={quiz.id: quiz})
    (person,) = learners(engine, 1)
    right = {"unique": ["a"], "plusieurs": ["a", "b"], "vrai-faux": ["true"], "ordre": ["a", "b", "c"], "nombre": 0.8}
    wrong = {**right, "unique": ["b"]}
    submit(engine, person, quiz, right, DAY - dt.timedelta(microseconds=1))  # 28 February, last instant
    submit(engine, person, quiz, wrong, DAY)  # 1 March, first instant
    submit(engine, person, quiz, right, DAY + dt.timedelta(hours=23, minutes=59, seconds=59))
    submit(engine, person, quiz, wrong, DAY + dt.timedelta(days=1))  # 2 March

    def unique(**window) -> dict:
        with orm_session(engine) as s:
            return reported(s, catalog, Filters(**window))[("essentiel", "unique")]

    march_1 = DAY.date()
    assert unique()["reponses"] == 4
    assert unique(start=march_1, end=march_1) == {
        "reponses": 2, "facilite": 0.5, "discrimination": None, "mauvais_choix": "b\u00a0: 50\u00a0%"}
    assert unique(start=march_1)["reponses"] == 3
    assert unique(end=march_1)["reponses"] == 3
    assert unique(end=march_1 - dt.timedelta(days=1)) == {
        "reponses": 1, "facilite": 1.0, "discrimination": None, "mauvais_choix": ""}
    with orm_session(engine) as s:
        assert item_analysis(s, catalog, Filters(start=dt.date(2026, 3, 3))) == []


@pytest.fixture(params=DATABASES)
def empty_database_url(request, tmp_path) -> str:
    """A database with no schema yet, for migrating step by step."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


def test_migration_0003_backfills_answers_recorded_before_it(empty_database_url):
    url = empty_database_url
    upgrade(url, "0002")
    engine = make_engine(url)
    # quiz q: question a (choices) and n (numeric); attempts on 1 March (two) and 2 March.
    attempts = [("t1", DAY + dt.timedelta(hours=9), [(["b"], 0.0), (3.0, 1.0)]),
                ("t2", DAY + dt.timedelta(hours=23, minutes=59, seconds=59), [(["a", "c"], 0.5), (2.0, 0.0)]),
                ("t3", DAY + dt.timedelta(days=1), [(["a"], 1.0), (3.0, 1.0)])]
    with engine.begin() as conn:
        conn.execute(sa.insert(User.__table__), [{"id": 1, "email": "l@example.com", "name": "L", "role": "learner",
                                                  "created_at": DAY}])
        for attempt_id, when, answers in attempts:
            score = sum(mark for _, mark in answers)
            conn.execute(sa.insert(Attempt.__table__), [{
                "id": attempt_id, "token": attempt_id, "user_id": 1, "quiz_id": "q", "quiz_hash": "h",
                "started_at": when, "submitted_at": when, "score": score, "max_score": 2.0,
                "percent": 50 * score, "passed": score == 2, "result": {}}])
            conn.execute(sa.insert(Answer.__table__), [
                {"attempt_id": attempt_id, "question_id": qid, "response": response, "mark": mark, "max_mark": 1.0,
                 "correct": mark == 1.0} for qid, (response, mark) in zip("an", answers, strict=True)])
    engine.dispose()

    upgrade(url, "0003")
    engine = make_engine(url)
    with engine.connect() as conn:
        items, picks = daily_rows(conn)
    engine.dispose()
    march_1, march_2 = DAY.date(), DAY.date() + dt.timedelta(days=1)
    # (quiz, question, day, n, n_choice_answers, max_mark, Σx, Σx², Σy, Σy², Σxy), y = score − x
    assert items == [
        ("q", "a", march_1, 2, 2, 1.0, 0.5, 0.25, 1.0, 1.0, 0.0),
        ("q", "a", march_2, 1, 1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
        ("q", "n", march_1, 2, 0, 1.0, 1.0, 1.0, 0.5, 0.25, 0.0),
        ("q", "n", march_2, 1, 0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    ]
    assert picks == [("q", "a", "a", march_1, 1), ("q", "a", "b", march_1, 1), ("q", "a", "c", march_1, 1)]

    command.downgrade(alembic_config(url), "0002")
    engine = make_engine(url)
    inspector = sa.inspect(engine)
    assert not {"item_stats_daily", "choice_picks_daily"} & set(inspector.get_table_names())
    assert {i["name"] for i in inspector.get_indexes("attempts")} >= {"ix_attempts_quiz_percent"}
    assert not any(i["name"].startswith("ix_attempts_quiz_user") for i in inspector.get_indexes("attempts"))
    engine.dispose()



def test_migration_0004_downgrade_adds_the_queued_attempts_to_the_sums(empty_database_url):
    url = empty_database_url
    upgrade(url)
    engine = make_engine(url)
    rng = random.Random(11)
    quiz = fixture_quiz()
    (person,) = learners(engine, 1)
    submit(engine, person, quiz, random_answers(quiz, rng), DAY)
    assert catch_up(engine)
    for _ in range(3):
        submit(engine, person, quiz, random_answers(quiz, rng), DAY + dt.timedelta(days=1))
    assert len(queued(engine)) == 3
    with engine.connect() as conn:  # what a report would read now
        catch_up_item_stats(conn)
        expected = daily_rows(conn)
        conn.rollback()
    engine.dispose()

    command.downgrade(alembic_config(url), "0003")  # the code of 0003 expects the sums complete
    engine = make_engine(url)
    assert "item_stats_pending" not in sa.inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert daily_rows(conn) == expected
    engine.dispose()
    upgrade(url)  # and back: the queue starts empty, every attempt being in the sums
    engine = make_engine(url)
    assert queued(engine) == []
    assert answers_summed(engine) == 4 * len(quiz.questions)
    engine.dispose()
