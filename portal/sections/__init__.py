"""Each domain's pages form one viewflow Application, declared in its own module here.

A section module exposes ``app`` (an ``viewflow.urls.Application`` instance) or ``None`` while it has no pages.
"""
