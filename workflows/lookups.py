"""``field__any_of=[...]``: membership of a text column in a list of values, one array parameter on PostgreSQL.

``field__in=[...]`` becomes ``IN (%s, %s, ...)`` with one parameter per value: for a user with capabilities on
hundreds of municipalities the inbox query carried thousands of parameters, which Django resolves and compiles and
psycopg interpolates (and cannot cache) on every request. ``any_of`` sends ``field = ANY(%s::text[])`` with the values
as one array literal on PostgreSQL, built once per lookup (the planner reads both forms alike: an index condition on
the column), and falls back to ``IN (...)`` elsewhere (SQLite). Like ``in``, an empty list matches nothing and
``None`` is never matched; a single value is sent as an equality, as PostgreSQL itself reads ``IN (x)``.

For character fields only (the values are compared as text). Registered in workflows/apps.py.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        # A set on the right-hand side is not walked value by value by the ORM's expression resolution (a list is);
        # the values are sorted so that the same values give the same SQL.
        values = set(self.rhs)
        if not set(map(type, values)) <= {str}:
            prep = self.lhs.output_field.get_prep_value
            values = {prep(value) for value in values}
        values.discard(None)
        return sorted(values)

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        placeholders = ", ".join(["%s"] * len(self.rhs))
        return f"{lhs_sql} IN ({placeholders})", (*lhs_params, *self.rhs)

    def as_postgresql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        if len(self.rhs) == 1:  # an equality, which an index returns in its order
            return f"{lhs_sql} = %s", (*lhs_params, self.rhs[0])
        return f"{lhs_sql} = ANY(%s::text[])", (*lhs_params, self.array_literal())

    def array_literal(self) -> str:
        """The values as a PostgreSQL array literal, every element quoted: '{"12","13"}'."""
        literal = getattr(self, "_array_literal", None)
        if literal is None:
            values = self.rhs
            joined = "".join(values)
            if '"' in joined or "\\" in joined:
                values = [value.replace("\\", "\\\\").replace('"', '\\"') for value in values]
            literal = self._array_literal = '{"' + '","'.join(values) + '"}'
        return literal
