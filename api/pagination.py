from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """?page=N and ?page_size=M (at most 100). The default of REST_FRAMEWORK: every generic list gets it."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        """A ``page_size`` that is not a whole number of at least 1 is refused (400), not silently replaced."""
        value = request.query_params.get(self.page_size_query_param)
        if value is not None:
            try:
                if int(value) < 1:
                    raise ValueError(value)
            except ValueError:
                raise ValidationError(
                    {"page_size": [_("Bitte eine ganze Zahl von 1 bis %(max)s angeben.") % {"max": self.max_page_size}]}
                ) from None
        return super().get_page_size(request)

    def get_page_number(self, request, paginator):
        """An empty ``page`` is refused (400) rather than read as the first page."""
        if request.query_params.get(self.page_query_param) == "":
            raise ValidationError({"page": [_("Bitte eine Seitenzahl angeben.")]})
        return super().get_page_number(request, paginator)

    def get_paginated_response_schema(self, schema):
        """DRF's page schema in OpenAPI 3.1 terms: ``next``/``previous`` are a link or null."""
        answer = super().get_paginated_response_schema(schema)
        for name in ("next", "previous"):
            link = answer["properties"][name]
            link.pop("nullable", None)
            link["type"] = ["string", "null"]
        answer["required"] = ["count", "next", "previous", "results"]
        return answer
