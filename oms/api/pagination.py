from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Stable pages under concurrent inserts: newest first, by id."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
