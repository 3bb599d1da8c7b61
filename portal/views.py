"""Pages people use. Thin: they call selectors and services, nothing else. One module per area:

- views_start: the start page per role
- views_inbox: the inbox and the task page
- views_cases: case list, new idea, case page, documents, comments, project order PDF
- views_notifications: in-app notifications and e-mail preferences
"""

from portal.views_start import StartPageView

__all__ = ["StartPageView"]
