"""With the keyboard alone (no mouse click): sign up, take a quiz, and use the header
search. The tests read the page to know where the focus is, as a sighted keyboard
user would, but act only through keys."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .learner import PASSED, PASSWORD, expect_result, french_number, load_quiz, new_email, planned_answers

QUIZ = "fondamentaux-pmo"
FOCUSED = """() => {
  const e = document.activeElement;
  return {tag: e.tagName.toLowerCase(), type: e.type || "", name: e.name || "", value: e.value ?? "",
          text: (e.innerText || "").trim().slice(0, 60), inQuiz: !!e.closest("form.portal-quiz")};
}"""


def tab_to(page: Page, selector: str, limit: int = 80) -> int:
    """Press Tab until the focus is on `selector`; the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab")


def options_of(page: Page, name: str) -> list[str]:
    """The choices of a radio group, in the order shown."""
    return page.eval_on_selector_all(f'form.portal-quiz input[name="{name}"]', "els => els.map(e => e.value)")


def answer_with_keyboard(page: Page, quiz_id: str) -> None:
    """Right answers, with Tab, arrows, Space and typing; Enter on the submit button."""
    quiz = {q["id"]: q for q in load_quiz(quiz_id)["questions"]}
    answers = planned_answers(quiz_id, right=True)
    tab_to(page, "form.portal-quiz :is(input:not([type=hidden]), select)")
    handled_groups = set()
    for _ in range(300):
        focus = page.evaluate(FOCUSED)
        assert focus["inQuiz"], f"the focus left the quiz form: {focus}"
        if focus["tag"] == "button":
            assert focus["text"] == "Valider mes réponses"
            page.keyboard.press("Enter")
            return
        qid = focus["name"].removeprefix("q-")
        if focus["type"] == "radio" and focus["name"] not in handled_groups:
            # Arrow keys move through a radio group and check; Space checks the focused one.
            options = options_of(page, focus["name"])
            moves = (options.index(answers[qid][0]) - options.index(focus["value"])) % len(options)
            for _ in range(moves):
                page.keyboard.press("ArrowDown")
            if moves == 0:
                page.keyboard.press("Space")
            handled_groups.add(focus["name"])
        elif focus["type"] == "checkbox" and focus["value"] in answers[qid]:
            page.keyboard.press("Space")
        elif focus["tag"] == "select":
            qid, item = next((q, focus["name"].removeprefix(f"q-{q}-")) for q in quiz
                             if focus["name"].startswith(f"q-{q}-") and quiz[q]["type"] == "ordering")
            for _ in range(answers[qid].index(item) + 1):  # from « — » to the position
                page.keyboard.press("ArrowDown")
        elif focus["tag"] == "input" and focus["type"] == "text":
            page.keyboard.type(french_number(answers[qid]))
        page.keyboard.press("Tab")
    raise AssertionError("the submit button was never reached")


def test_quiz_with_the_keyboard_alone(new_context):
    page = new_context().new_page()
    page.goto("/register")
    tab_to(page, "form.portal-form #name")
    page.keyboard.type("Léo Garnier")
    page.keyboard.press("Tab")
    page.keyboard.type(new_email("clavier"))
    page.keyboard.press("Tab")  # Équipe, optional
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/progression$"))

    page.goto(f"/quiz/{QUIZ}")
    answer_with_keyboard(page, QUIZ)
    expect_result(page, QUIZ, PASSED)
    expect(page.locator(".portal-page [role=status]")).to_contain_text("100")


def test_header_search_with_the_keyboard(new_context):
    page = new_context().new_page()
    page.goto("/")
    search = page.locator("#portal-search-input")
    listbox = page.locator("#portal-search-results")
    tab_to(page, "#portal-search-input")
    page.keyboard.type("copil")
    expect(listbox).to_be_visible()

    # The list closes with Escape, and when the focus leaves the search: its options are
    # chosen with the arrows, they are not one Tab stop each.
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    page.keyboard.type("copil")
    expect(listbox).to_be_visible()
    page.keyboard.press("Tab")  # the search button
    page.keyboard.press("Tab")
    expect(page.locator("[data-portal-account]")).to_be_focused()
    expect(listbox).to_be_hidden()

    # Back in the box: a new search, the first result chosen with the arrow, opened with Enter.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(search).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("indices valeur acquise")  # a section: « valeur acquise » alone opens the page
    first = listbox.locator("a").first
    expect(first).to_be_visible()
    expect(first).to_contain_text("valeur acquise")
    page.keyboard.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(search).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    target = first.get_attribute("href")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    anchor = target.split("#", 1)[1]
    expect(page.locator(f'.md-content [id="{anchor}"]')).to_be_in_viewport()
