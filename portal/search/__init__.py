"""Search: French analysis, the indexer used by the build, the query module
used by the views, and the log of what readers searched.
"""
