"""Accounts: users and roles, password and trusted-header sign-in, their views."""
