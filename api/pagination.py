from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """?page=N and ?page_size=M (at most 100). The default of REST_FRAMEWORK: every generic list gets it."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response_schema(self, schema):
        """DRF's page schema in OpenAPI 3.1 terms: ``next``/``previous`` are a link or null."""
        answer = super().get_paginated_response_schema(schema)
        for name in ("next", "previous"):
            link = answer["properties"][name]
            link.pop("nullable", None)
            link["type"] = ["string", "null"]
        answer["required"] = ["count", "next", "previous", "results"]
        return answer
