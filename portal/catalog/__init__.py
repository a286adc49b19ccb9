"""Reading `content/`: front matter and its schema, the page catalogue, content checks.

`load_site(root)` reads every page once; `checks.run_checks(site)` returns the
problems that `pmo-portal check` prints as `path:line: message`.
"""
