"""Building the site: the mkdocs plugin that enriches pages, the podcast feed,
the portal page shell, and the atomic build pipeline behind `pmo-portal build`.
"""
