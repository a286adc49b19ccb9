"""End-to-end journeys in a real Chromium against a real `pmo-portal serve`.

A package so that this folder's conftest.py does not shadow tests/conftest.py
(which other test modules import as `conftest`).
"""
