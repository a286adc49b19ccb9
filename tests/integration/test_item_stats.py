"""The item analysis's daily sums: kept by `submit_attempt`, backfilled by migration 0003,
and read by the report with the same figures as a count over the answers."""

from __future__ import annotations

import datetime as dt
import random
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
from portal.learning.item_stats import rebuild_item_stats
from portal.learning.models import Answer, Attempt, ChoicePicksDaily, ItemStatsDaily
from portal.learning.quizzes import Catalog, Quiz
from portal.learning.records import issue_token, submit_attempt
from portal.learning.scoring import option_ids
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
        token = issue_token(s, user, quiz, SIGNER)
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


def test_submitted_attempts_keep_the_daily_sums_equal_to_the_answers(engine):
    rng = random.Random(7)
    quizzes = [fixture_quiz(), fixture_quiz(id="strict", partial_credit=False)]
    catalog = Catalog(quizzes={q.id: q for q in quizzes})
    people = learners(engine, 5)
    for _ in range(40):
        when = DAY + dt.timedelta(days=rng.randrange(4), seconds=rng.randrange(86_400))
        quiz = rng.choice(quizzes)
        submit(engine, rng.choice(people), quiz, random_answers(quiz, rng), when)

    # The sums kept at each submission are those recomputed from the answers in SQL…
    with engine.connect() as conn:
        kept = daily_rows(conn)
        rebuild_item_stats(conn)
        rebuilt = daily_rows(conn)
        conn.rollback()
    assert [r[:5] for r in kept[0]] == [r[:5] for r in rebuilt[0]]  # keys, n, answers given as choices
    assert [r[5:] for r in kept[0]] == [pytest.approx(r[5:], rel=1e-9, abs=1e-9) for r in rebuilt[0]]
    assert kept[1] == rebuilt[1] and kept[1]
    # …and the report gives what a count over the answers gives, with or without filters.
    windows = [Filters(), Filters(quiz="strict"), Filters(start=(DAY + dt.timedelta(days=1)).date(),
                                                          end=(DAY + dt.timedelta(days=2)).date())]
    with orm_session(engine) as s:
        for filters in windows:
            assert reported(s, catalog, filters) == from_answers(s, filters), filters


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

