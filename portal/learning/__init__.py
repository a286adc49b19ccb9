"""Training: quizzes (schema, loading, scoring), paths, progress, certificates, views.

Scoring and path completion are plain functions over plain data (`scoring`,
`progress`); `records` is the one module that writes learning records.
"""
