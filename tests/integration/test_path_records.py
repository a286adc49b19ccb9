"""Path starts and certificates, recorded with the step that earns them (`path_records`),
through `submit_attempt` and `mark_page_read`, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
import yaml
from factories import ANSWERS_ALL_RIGHT, ANSWERS_ALL_WRONG, FIXTURES

from portal.accounts.models import User
from portal.accounts.service import create_user
from portal.db import make_engine, session_scope
from portal.learning.path_records import _path_rows, paths_with_step
from portal.learning.quizzes import Catalog, Path_, Quiz
from portal.learning.records import issue_token, mark_page_read, start_path, submit_attempt
from portal.learning.tokens import TokenSigner

GUIDE, OTHER, THIRD = "/guides/guide/", "/guides/autre/", "/guides/troisieme/"
SIGNER = TokenSigner("test-secret")


def path(path_id: str, *steps: tuple[str, str]) -> Path_:
    return Path_({"id": path_id, "title": f"Parcours {path_id}",
                  "steps": [{kind: ref} for kind, ref in steps]})


@pytest.fixture
def catalog() -> Catalog:
    data = yaml.safe_load((FIXTURES / "quizzes" / "essentiel.yml").read_text(encoding="utf-8"))
    paths = [
        path("lire-puis-reussir", ("read", "guides/guide.md"), ("quiz", "essentiel")),
        path("reussir-puis-ecouter", ("quiz", "essentiel"), ("listen", "guides/autre.md")),
        path("deux-lectures", ("read", "guides/autre.md"), ("read", "guides/troisieme.md")),
    ]
    return Catalog(quizzes={"essentiel": Quiz(data)}, paths={p.id: p for p in paths},
                   titles={GUIDE: "Guide", OTHER: "Autre", THIRD: "Troisième"})


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def learner(engine, email: str = "lea@example.com") -> User:
    with session_scope(engine) as s:
        return create_user(s, email, "Léa Martin", None)


def session(engine) -> sa.orm.Session:
    return sa.orm.Session(engine, expire_on_commit=False)


def take_quiz(engine, user: User, catalog: Catalog, answers: dict, token: str | None = None):
    quiz = catalog.quizzes["essentiel"]
    with session(engine) as s:
        token = token or issue_token(s, user.id, quiz, SIGNER).token
        attempt, _created = submit_attempt(s, user, quiz, token, answers, signer=SIGNER, catalog=catalog)
        return attempt


def read(engine, user: User, catalog: Catalog, page: str) -> bool:
    with session(engine) as s:
        return mark_page_read(s, user, page, catalog)


def enrolments(engine, user: User) -> dict[str, bool]:
    """path → completed, for one learner."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT path_id, completed_at FROM path_enrollments WHERE user_id = :u"), {"u": user.id})
        return {path_id: completed is not None for path_id, completed in rows}


def certificates(engine, user: User) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT path_id, code FROM certificates WHERE user_id = :u"), {"u": user.id})
        return dict(rows.all())


def test_paths_with_a_step_are_found_by_quiz_id_or_site_path(catalog):
    assert [p.id for p in paths_with_step(catalog, "quiz", "essentiel")] == [
        "lire-puis-reussir", "reussir-puis-ecouter"]
    assert [p.id for p in paths_with_step(catalog, "page", OTHER)] == [
        "reussir-puis-ecouter", "deux-lectures"]
    assert paths_with_step(catalog, "page", "/ailleurs/") == []
    assert paths_with_step(catalog, "quiz", "guides/guide.md") == []


def test_the_rows_read_back_are_this_learners_for_every_shape_of_path(engine, catalog):
    """`_path_rows` is one statement per number of paths, pages and quizzes (one
    parameter each): quizzes only, pages only, both, several paths."""
    lea, tom = learner(engine), learner(engine, "tom@example.com")
    read(engine, lea, catalog, GUIDE)
    take_quiz(engine, lea, catalog, ANSWERS_ALL_RIGHT)  # certifies lire-puis-reussir
    take_quiz(engine, lea, catalog, ANSWERS_ALL_WRONG)  # a failed attempt besides
    read(engine, tom, catalog, OTHER)
    read(engine, tom, catalog, THIRD)
    quizzes_only = path("que-des-quiz", ("quiz", "essentiel"), ("quiz", "autre-quiz"))
    pages_only = catalog.paths["deux-lectures"]
    both = [catalog.paths["lire-puis-reussir"], catalog.paths["reussir-puis-ecouter"]]
    with session(engine) as s:
        assert _path_rows(s, lea.id, [quizzes_only]) == (set(), {"essentiel"}, {}, set())
        assert _path_rows(s, lea.id, [pages_only]) == (set(), set(), {}, set())
        assert _path_rows(s, lea.id, both) == (
            {GUIDE}, {"essentiel"}, {"lire-puis-reussir": True, "reussir-puis-ecouter": False},
            {"lire-puis-reussir"})
        assert _path_rows(s, tom.id, [pages_only]) == ({OTHER, THIRD}, set(), {"deux-lectures": True},
                                                       {"deux-lectures"})
        assert _path_rows(s, tom.id, both) == ({OTHER}, set(), {"reussir-puis-ecouter": False}, set())


def test_passing_the_last_quiz_certifies_the_path(engine, catalog):
    lea = learner(engine)
    read(engine, lea, catalog, GUIDE)
    assert enrolments(engine, lea) == {"lire-puis-reussir": False}
    take_quiz(engine, lea, catalog, ANSWERS_ALL_RIGHT)
    assert enrolments(engine, lea) == {"lire-puis-reussir": True, "reussir-puis-ecouter": False}
    issued = certificates(engine, lea)
    assert list(issued) == ["lire-puis-reussir"] and len(issued["lire-puis-reussir"]) == 19


def test_reading_the_last_page_certifies_the_path(engine, catalog):
    lea = learner(engine)
    take_quiz(engine, lea, catalog, ANSWERS_ALL_RIGHT)
    assert certificates(engine, lea) == {}
    assert read(engine, lea, catalog, OTHER) is True
    assert list(certificates(engine, lea)) == ["reussir-puis-ecouter"]
    assert enrolments(engine, lea) == {
        "lire-puis-reussir": False, "reussir-puis-ecouter": True, "deux-lectures": False}


def test_a_step_changes_only_the_paths_that_contain_it(engine, catalog):
    lea = learner(engine)
    read(engine, lea, catalog, THIRD)
    assert enrolments(engine, lea) == {"deux-lectures": False}
    read(engine, lea, catalog, OTHER)
    assert enrolments(engine, lea) == {"deux-lectures": True, "reussir-puis-ecouter": False}
    assert list(certificates(engine, lea)) == ["deux-lectures"]


def test_a_failed_attempt_starts_no_path(engine, catalog):
    lea = learner(engine)
    take_quiz(engine, lea, catalog, ANSWERS_ALL_WRONG)
    assert enrolments(engine, lea) == {} and certificates(engine, lea) == {}


def test_a_certificate_is_issued_once(engine, catalog):
    lea = learner(engine)
    read(engine, lea, catalog, GUIDE)
    quiz = catalog.quizzes["essentiel"]
    with session(engine) as s:
        token = issue_token(s, lea.id, quiz, SIGNER).token
    first = take_quiz(engine, lea, catalog, ANSWERS_ALL_RIGHT, token=token)
    code = certificates(engine, lea)["lire-puis-reussir"]
    again = take_quiz(engine, lea, catalog, ANSWERS_ALL_RIGHT, token=token)  # a replay
    assert again.id == first.id
    take_quiz(engine, lea, catalog, ANSWERS_ALL_RIGHT)  # passed once more
    assert read(engine, lea, catalog, GUIDE) is False  # read once more
    assert certificates(engine, lea) == {"lire-puis-reussir": code}
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM path_enrollments")) == 2


def test_a_path_started_by_hand_gets_its_completion_date(engine, catalog):
    lea = learner(engine)
    with session(engine) as s:
        start_path(s, lea, "lire-puis-reussir")
        start_path(s, lea, "lire-puis-reussir")
    assert enrolments(engine, lea) == {"lire-puis-reussir": False}
    read(engine, lea, catalog, GUIDE)
    take_quiz(engine, lea, catalog, ANSWERS_ALL_RIGHT)
    assert enrolments(engine, lea)["lire-puis-reussir"] is True


def test_the_last_two_steps_done_at_once_certify_the_path_once(engine, catalog):
    quiz = catalog.quizzes["essentiel"]
    for i in range(6):
        lea = learner(engine, f"lea{i}@example.com")
        with session(engine) as s:
            token = issue_token(s, lea.id, quiz, SIGNER).token
        barrier = threading.Barrier(2)
        failures = []

        def at_once(step, lea=lea, barrier=barrier, failures=failures):
            barrier.wait(timeout=30)
            try:
                step()
            except Exception as exc:  # reported by the assertion below
                failures.append(exc)

        steps = [lambda lea=lea, token=token: take_quiz(engine, lea, catalog, ANSWERS_ALL_RIGHT, token),
                 lambda lea=lea: read(engine, lea, catalog, GUIDE)]
        threads = [threading.Thread(target=at_once, args=(step,)) for step in steps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        assert list(certificates(engine, lea)) == ["lire-puis-reussir"], f"learner {i}"
        assert enrolments(engine, lea)["lire-puis-reussir"] is True
