"""Load, concurrency and crash tests through a real server (`pmo-portal serve`, gunicorn).

The HTTP client, the server wrapper, the learners and the database checks are those
of benchmarks/load.py; here they run small and assert. Every test runs on SQLite and,
when PORTAL_TEST_DATABASE_URL is set, on PostgreSQL (the `database_url` fixture).
"""

from __future__ import annotations

import importlib.util
import random
import sys
import threading
import time
from pathlib import Path

import pytest


def _load_benchmark():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "load.py"
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))  # its neighbour benchmarks/machine.py
    spec = importlib.util.spec_from_file_location("portal_load_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


load = _load_benchmark()


@pytest.fixture
def catalog(real_build):
    return load.site_catalog(real_build[0].var_dir)


@pytest.fixture
def serve(real_build, database_url, tmp_path):
    """Starts servers on the shipped site and the test's database; stops them all."""
    settings = real_build[0]
    servers = []

    def start(workers: int = 2, port: int | None = None, cpu_folder: Path | None = None):
        server = load.Server(settings.var_dir, settings.site_dir, database_url, workers,
                             tmp_path / "server.log", port=port, cpu_folder=cpu_folder)
        servers.append(server)
        return server.start()

    yield start
    # The checks are done: kill -9 ends it at once (a worker's interpreter takes seconds
    # to finalise on a busy 2-core machine, even on a quick shutdown).
    for server in servers:
        server.kill()


@pytest.fixture
def people():
    """Learners created by a test; their connections are closed at the end."""
    created = []

    def make(port, email, recorder):
        person = load.Learner(port, email, email.split("@")[0].replace(".", " ").title(), recorder)
        created.append(person)
        person.register()
        return person

    yield make
    for person in created:
        person.close()


def test_short_load_records_exactly_the_acknowledged_attempts(serve, database_url, catalog):
    server = serve(workers=4)
    run = load.LoadRun(server.port, catalog, learners=10, attempts=10, concurrency=10,
                       background=1, deadline=time.monotonic() + 90)
    # As main() does: the quiz phase in slices, a burst of no-ops before each one and after
    # the last, while no quiz is in flight.
    submitted_at_each_burst = []

    def burst():
        submitted_at_each_burst.append(run.result.recorder.count("submit"))
        load.hammer(server.port, "/api/health", "noop", run.result.recorder, 4, 20, 30)

    result = run.run(between_slices=burst, slices=4)
    rec = result.recorder

    assert submitted_at_each_burst == [0, 25, 50, 75, 100]
    assert rec.count("noop") == 100 and rec.statuses["noop"] == {200: 100}
    assert result.problems == []
    assert rec.count_5xx() == 0, rec.server_errors
    assert rec.total_errors() == 0, dict(rec.errors)
    assert result.registered == 10 and rec.count("submit") == 100 and len(result.acks) == 100
    assert rec.statuses["submit"] == {201: 100}
    assert rec.statuses["not-owner"] == {404: 10}
    check = load.check_database(database_url, catalog, result.acks)
    assert check.attempts == 100 and check.distinct_tokens == 100
    assert check.problems == [] and check.integrity == []
    assert server.log_problems() == []


def test_server_cpu_counts_each_kind_of_request_inside_the_server(serve, catalog, tmp_path):
    """`load.py --server-cpu`: the server runs through benchmarks/server_cpu.py, and its
    workers' sums count exactly the requests of each kind the client made."""
    folder = tmp_path / "server-cpu"
    server = serve(workers=2, cpu_folder=folder)
    run = load.LoadRun(server.port, catalog, learners=4, attempts=5, concurrency=4,
                       background=0, replay_share=0.0, deadline=time.monotonic() + 90)
    result = run.run()
    assert result.problems == [] and len(result.acks) == 20
    rec = result.recorder
    load.hammer(server.port, "/api/health", "noop", rec, 4, 60, 30)
    assert rec.count("noop") == 60
    server.stop()  # a graceful stop: each worker writes its sums as it exits
    sums = load.server_cpu.read_sums(folder)
    assert sums["open"][0] == 20
    assert sums["submit"][0] == 20
    # The no-ops sent here, and the health checks of the start-up wait before them.
    assert sums["noop"][0] >= 60
    for kind in ("noop", "open", "submit"):
        requests, handling, app = sums[kind]
        assert 0 < app < handling, (kind, sums[kind])
    lines = load.server_cpu_lines(sums)
    assert "ratio these costs allow" in lines and "submit" in lines


def _at_once(*calls):
    """Runs the calls in threads released together by a barrier; their results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait(timeout=30)
        try:
            results[i] = call()
        except Exception as exc:  # reported by the assertions below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_submissions_are_recorded_once_and_only_for_their_learner(
    serve, people, database_url, catalog
):
    server = serve(workers=2)
    rec = load.Recorder()
    quiz = catalog.quizzes["fondamentaux-pmo"]
    path = f"/api/quizzes/{quiz.id}/attempts"
    rng = random.Random(7)
    acks = {}

    # The same token sent twice at once (two connections, one session): recorded once,
    # and both answers name the same attempt.
    lea = people(server.port, "lea.jumeau@exemple.fr", rec)
    with load.HttpClient(server.port) as twin:
        for _ in range(8):
            twin.cookies = dict(lea.client.cookies)
            token = lea.open_quiz(quiz.id)
            payload = {"token": token, "answers": load.make_answers(quiz, 0.5, rng)}
            first, second = _at_once(
                lambda p=payload: lea.client.post_json(path, p, lea.csrf),
                lambda p=payload: twin.post_json(path, p, lea.csrf),
            )
            assert isinstance(first, load.Response) and isinstance(second, load.Response), (
                first, second)
            assert sorted([first.status, second.status]) == [200, 201], (first.body, second.body)
            assert first.json()["attempt"] == second.json()["attempt"]
            body = first.json()
            score = load.grade_attempt(quiz, payload["answers"]).score
            acks[body["attempt"]] = load.Ack(body["attempt"], lea.email, quiz.id, token, score)

    # Two learners submitting at the same time: each gets their own result, and only
    # the owner can open it.
    hugo = people(server.port, "hugo.duo@exemple.fr", rec)
    emma = people(server.port, "emma.duo@exemple.fr", rec)
    for _ in range(8):
        right = {q["id"]: load.expected_answer(q) for q in quiz.questions}
        wrong = {q["id"]: load.wrong_answer(q, rng) for q in quiz.questions}
        tokens = hugo.open_quiz(quiz.id), emma.open_quiz(quiz.id)
        mine, theirs = _at_once(lambda t=tokens[0], a=right: hugo.submit(quiz.id, t, a),
                                lambda t=tokens[1], a=wrong: emma.submit(quiz.id, t, a))
        assert isinstance(mine, load.Response) and isinstance(theirs, load.Response), (
            mine, theirs)
        assert mine.status == 201 and theirs.status == 201, (mine.body, theirs.body)
        hugo_attempt, emma_attempt = mine.json()["attempt"], theirs.json()["attempt"]
        assert hugo_attempt != emma_attempt
        assert mine.json()["percent"] == 100.0
        assert theirs.json()["score"] == load.grade_attempt(quiz, wrong).score < 12
        assert hugo.result_page(quiz.id, hugo_attempt).status == 200
        assert emma.result_page(quiz.id, emma_attempt).status == 200
        assert hugo.result_page(quiz.id, emma_attempt).status == 404
        assert emma.result_page(quiz.id, hugo_attempt).status == 404
        acks[hugo_attempt] = load.Ack(hugo_attempt, hugo.email, quiz.id, tokens[0], 12.0)
        acks[emma_attempt] = load.Ack(emma_attempt, emma.email, quiz.id, tokens[1],
                                      load.grade_attempt(quiz, wrong).score)

    assert rec.count_5xx() == 0, rec.server_errors
    check = load.check_database(database_url, catalog, acks)
    assert check.attempts == 24 and check.problems == [] and check.integrity == []
    assert server.log_problems() == []


def test_kill_9_during_load_loses_no_acknowledged_attempt(serve, database_url, catalog):
    server = serve(workers=2)
    port = server.port
    run = load.LoadRun(port, catalog, learners=6, attempts=15, concurrency=6, background=1,
                       replay_share=0.0, deadline=time.monotonic() + 90, tolerate_errors=True)
    thread = threading.Thread(target=run.run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while run.result.acknowledged() < 20 and time.monotonic() < deadline:
            assert thread.is_alive() or run.result.acknowledged() >= 20, run.result.problems
            time.sleep(0.01)
        assert run.result.acknowledged() >= 20, run.result.problems
    finally:
        run.stop.set()  # no new request; those in flight meet the kill
        server.kill()  # SIGKILL to the master and its workers (the process group)
        thread.join(timeout=60)
    assert not thread.is_alive()
    result = run.result
    assert result.problems == [], result.problems
    assert result.recorder.count_5xx() == 0, result.recorder.server_errors
    acks = dict(result.acks)
    lost = {token: (email, quiz_id, answers) for email, quiz_id, token, answers in result.pending}

    serve(workers=2, port=port)  # the same database, the same address
    check = load.check_database(database_url, catalog, acks, exact=False, allowed_extra=set(lost))
    assert check.problems == [] and check.integrity == []
    assert set(acks) <= check.ids

    # The learners whose answer was lost in the crash send it again: recorded once.
    people = {p.email: p for p in run.people}
    for token, (email, quiz_id, answers) in lost.items():
        person = people[email]
        response = person.submit(quiz_id, token, answers)
        assert response.status in (200, 201), response.body
        attempt = response.json()["attempt"]
        assert (response.status == 200) == (attempt in check.ids)
        score = load.grade_attempt(catalog.quizzes[quiz_id], answers).score
        acks[attempt] = load.Ack(attempt, email, quiz_id, token, score)
    # And everybody carries on.
    for person in run.people[:3]:
        quiz = catalog.quizzes["gestion-des-risques"]
        token = person.open_quiz(quiz.id)
        answers = load.make_answers(quiz, 0.8, random.Random(3))
        response = person.submit(quiz.id, token, answers)
        assert response.status == 201, response.body
        attempt = response.json()["attempt"]
        acks[attempt] = load.Ack(attempt, person.email, quiz.id, token,
                                 load.grade_attempt(quiz, answers).score)
        person.close()
    for person in run.people:
        person.close()

    final = load.check_database(database_url, catalog, acks)
    assert final.problems == [] and final.integrity == []
    assert final.attempts == len(acks) == final.distinct_tokens


def test_races_on_registration_and_max_attempts(serve, people, database_url, catalog):
    server = serve(workers=2)
    failures = []

    # A double click on « Créer un compte »: one account, the other form says why.
    email = "double.clic@exemple.fr"
    with load.HttpClient(server.port) as one, load.HttpClient(server.port) as two:
        forms = []
        for client in (one, two):
            csrf = client.get("/api/me").json()["csrf_token"]
            forms.append({"email": email, "name": "Double Clic", "password": load.PASSWORD,
                          "csrf_token": csrf})
        responses = _at_once(lambda: one.post_form("/register", forms[0]),
                             lambda: two.post_form("/register", forms[1]))
    statuses = sorted(getattr(r, "status", repr(r)) for r in responses)
    if statuses != [302, 400]:
        failures.append(f"the same e-mail registered twice at once: {statuses}")

    # Six attempts opened, then sent at once, on a quiz allowing three.
    quiz = catalog.quizzes["ressources-et-competences"]
    assert quiz.max_attempts == 3
    rec = load.Recorder()
    noe = people(server.port, "noe.limite@exemple.fr", rec)
    tokens = [noe.open_quiz(quiz.id) for _ in range(6)]
    answers = {q["id"]: load.expected_answer(q) for q in quiz.questions}
    path = f"/api/quizzes/{quiz.id}/attempts"
    clients = [load.HttpClient(server.port) for _ in tokens]
    try:
        for client in clients:
            client.cookies = dict(noe.client.cookies)
        responses = _at_once(*[
            (lambda c=c, t=t: c.post_json(path, {"token": t, "answers": answers}, noe.csrf))
            for c, t in zip(clients, tokens, strict=True)
        ])
    finally:
        for client in clients:
            client.close()
    statuses = sorted(getattr(r, "status", repr(r)) for r in responses)
    check = load.check_database(database_url, catalog, {}, exact=False, allowed_extra=set(tokens))
    if check.attempts > quiz.max_attempts:
        failures.append(f"max_attempts {quiz.max_attempts}: {check.attempts} attempts recorded "
                        f"from six sent at once ({statuses})")
    assert failures == []
