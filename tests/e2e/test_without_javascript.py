"""With JavaScript off, the portal still works: sign up, take a quiz, see the result,
search from the header, mark a step as read."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .audit import look
from .learner import PASSED, answer_quiz, expect_result, new_email, register

QUIZ = "gestion-des-risques"


def test_quiz_taken_without_javascript(new_context):
    page = new_context(java_script_enabled=False).new_page()

    # Anonymous, the quiz invites to sign in or sign up, and sends back to it.
    page.goto(f"/quiz/{QUIZ}")
    expect(page.locator("form.portal-quiz button[type=submit]")).to_have_count(0)
    page.locator(".portal-notice").get_by_role("link", name="créez un compte").click()
    expect(page).to_have_url(re.compile(rf"/register\?next=/quiz/{QUIZ}$"))
    register(page, "Hugo Petit", new_email("sans-javascript"))
    expect(page).to_have_url(re.compile(rf"/quiz/{QUIZ}$"))

    look(page, "quiz sans JavaScript")
    answer_quiz(page, QUIZ, right=True)
    expect_result(page, QUIZ, PASSED)
    expect(page.locator(".portal-results > li")).not_to_have_count(0)
    look(page, "résultat sans JavaScript")

    # The header search is a plain form.
    page.locator("#portal-search-input").fill("registre des risques")
    page.locator("#portal-search-input").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=registre(\+|%20)des(\+|%20)risques$"))
    expect(page.locator(".portal-results > li").first).to_be_visible()

    # Ma progression: « Marquer comme lu » is a form too.
    page.goto("/progression")
    first = page.locator("section.portal-path li", has=page.get_by_role("button", name="Marquer comme lu")).first
    step = first.get_by_role("link").first.get_attribute("href")
    first.get_by_role("button", name="Marquer comme lu").click()
    expect(page).to_have_url(re.compile(r"/progression$"))
    done = page.locator("section.portal-path li", has=page.locator(f'a[href="{step}"]')).first
    expect(done).to_contain_text("✔")
    expect(done.get_by_role("button", name="Marquer comme lu")).to_have_count(0)
