"""Where a learner stands on each path: a plain function over plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

from .quizzes import Catalog, Path_, page_url


@dataclass
class StepState:
    kind: str  # read | listen | quiz
    ref: str
    title: str
    url: str
    done: bool


@dataclass
class PathState:
    id: str
    title: str
    description: str
    steps: list[StepState] = field(default_factory=list)
    started: bool = False
    certificate: str | None = None

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.steps if s.done)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / len(self.steps)) if self.steps else 0

    @property
    def completed(self) -> bool:
        return bool(self.steps) and all(s.done for s in self.steps)

    def next_step(self) -> StepState | None:
        return next((s for s in self.steps if not s.done), None)


def step_states(catalog: Catalog, path: Path_, pages_read: set[str], passed: set[str]) -> list[StepState]:
    states = []
    for kind, ref in path.steps:
        if kind == "quiz":
            quiz = catalog.quizzes.get(ref)
            title = quiz.title if quiz else ref
            states.append(StepState(kind, ref, title, f"/quiz/{ref}", ref in passed))
        else:
            url = page_url(ref)
            title = catalog.titles.get(url, ref)
            states.append(StepState(kind, ref, title, url, url in pages_read))
    return states


def path_states(
    catalog: Catalog,
    pages_read: set[str],
    passed_quizzes: set[str],
    started: set[str],
    certificates: dict[str, str],
) -> list[PathState]:
    states = []
    for path in catalog.paths.values():
        steps = step_states(catalog, path, pages_read, passed_quizzes)
        state = PathState(path.id, path.title, path.description, steps)
        state.started = path.id in started or any(s.done for s in steps)
        state.certificate = certificates.get(path.id)
        states.append(state)
    return states
