"""Statements compiled once per database connection, for hot paths (issue 21: the engine step, the audit entry).

Django compiles a queryset to SQL every time it runs it; for the few statements every workflow step sends (the flow
lock, the task read with its process, the narrow task UPDATE, the task and ``previous`` link INSERTs, the audit
entry) that compilation was a good part of the step's CPU. Here each statement is compiled once per connection and
run again with other values:

- :class:`PreparedQuery`: a queryset built once with placeholder values; its SQL is kept and its rows become model
  instances exactly as the queryset would make them (the same converters and ``select_related`` population);
- :func:`update_columns`: ``UPDATE <table> SET <columns> WHERE pk = %s`` for the given fields of an instance;
- :func:`insert_row`: ``INSERT ... RETURNING`` of a new instance (a task, an audit entry);
- :func:`insert_links`: the rows of a many-to-many through table in one ``INSERT``.

Only the SQL text is cached, never values; every statement still goes through the connection's cursor (execute
wrappers, query logging and the transaction see it as before).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import query as _query
from django.db.models import signals

_ids = itertools.count(1)


def _cache(connection) -> dict[Any, Any]:
    cache = getattr(connection, "_ikz_prepared", None)
    if cache is None:
        cache = connection._ikz_prepared = {}
    return cache


class PreparedQuery:
    """A queryset compiled once per connection: ``build(**placeholders)`` returns it with each value to be replaced.

    ``names`` are the keyword arguments of :meth:`fetch`; ``build`` receives a distinct placeholder integer for
    each, and every SQL parameter equal to a placeholder is replaced by the value passed to :meth:`fetch`.
    """

    def __init__(self, build: Callable[..., models.QuerySet], *names: str, using: str = DEFAULT_DB_ALIAS):
        self.build = build
        self.names = names
        self.using = using
        self.key = ("query", next(_ids))

    def _compiled(self, connection):
        cache = _cache(connection)
        compiled = cache.get(self.key)
        if compiled is None:
            placeholders = {name: -(900_000_000 + n) for n, name in enumerate(self.names, start=1)}
            queryset = self.build(**placeholders)
            compiler = queryset.query.get_compiler(using=self.using)
            sql, params = compiler.as_sql()
            by_value = {value: name for name, value in placeholders.items()}
            slots = [(i, by_value[p]) for i, p in enumerate(params) if isinstance(p, int) and p in by_value]
            if {name for _i, name in slots} != set(self.names):
                raise ValueError(f"placeholders not found in the compiled query: {sql}")
            compiled = cache[self.key] = (compiler, sql, list(params), slots)
        return compiled

    def rows(self, **values: Any) -> tuple[Any, list[tuple]]:
        connection = connections[self.using]
        compiler, sql, params, slots = self._compiled(connection)
        args = list(params)
        for i, name in slots:
            args[i] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            fetched = cursor.fetchall() if cursor.description else []
        return compiler, fetched

    def execute(self, **values: Any) -> None:
        """Run the statement, ignoring its rows (a lock)."""
        self.rows(**values)

    def instances(self, **values: Any) -> list[models.Model]:
        """The model instances of the rows, as ``ModelIterable`` makes them (with ``select_related`` objects)."""
        compiler, fetched = self.rows(**values)
        if not fetched:
            return []
        select, klass_info = compiler.select, compiler.klass_info
        model_cls = klass_info["model"]
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        init_list = [f[0].target.attname for f in select[start:end]]
        get_related_populators: Any = _query.get_related_populators  # (klass_info, select, db) in Django 5.2
        populators = get_related_populators(klass_info, select, self.using)
        out = []
        for row in compiler.results_iter(results=[fetched]):
            obj = model_cls.from_db(self.using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            out.append(obj)
        return out


def update_columns(instance: models.Model, fields: Sequence[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Write ``fields`` of a saved instance with one precompiled UPDATE (no model signals: the row exists)."""
    connection = connections[using]
    model = type(instance)
    key = ("update", model, tuple(fields))
    cache = _cache(connection)
    compiled = cache.get(key)
    if compiled is None:
        opts: Any = model._meta
        targets: list[Any] = [opts.get_field(name) for name in fields]
        quote = connection.ops.quote_name
        sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - quoted names from the model, values as parameters
            quote(opts.db_table),
            ", ".join(f"{quote(field.column)} = %s" for field in targets),
            quote(opts.pk.column),
        )
        compiled = cache[key] = (sql, targets)
    sql, targets = compiled
    args = [field.get_db_prep_save(getattr(instance, field.attname), connection) for field in targets]
    args.append(instance.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, args)


def insert_row(
    instance: models.Model,
    *,
    link: tuple[type[models.Model], str, str, Any] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> models.Model:
    """INSERT a new instance with one precompiled statement, as ``save()`` would (field defaults, ``auto_now_add``,
    ``pre_save``/``post_save`` sent to whoever listens); its primary key comes back from ``RETURNING``.

    ``link=(through, from_field, to_field, to_id)`` writes the new row's many-to-many link to ``to_id`` in the same
    statement (a data-modifying ``WITH``): a new workflow task and its ``previous`` link in one round trip.
    For models without parents (multi-table inheritance) whose primary key the database assigns."""
    model = type(instance)
    opts: Any = model._meta
    connection = connections[using]
    if (
        opts.parents
        or opts.auto_field is None
        or instance.pk is not None
        or not connection.features.can_return_columns_from_insert
    ):
        instance.save(using=using)
        if link is not None:
            through, from_field, to_field, to_id = link
            insert_links(through, from_field, to_field, [(instance.pk, to_id)], using=using)
        return instance
    if link is not None and connection.vendor != "postgresql":
        # a data-modifying WITH is PostgreSQL's; elsewhere (SQLite of `make run`) the link is its own INSERT
        insert_row(instance, using=using)
        through, from_field, to_field, to_id = link
        insert_links(through, from_field, to_field, [(instance.pk, to_id)], using=using)
        return instance
    cast(Any, instance)._prepare_related_fields_for_save(operation_name="save")
    if signals.pre_save.has_listeners(model):
        signals.pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    key = ("insert", model, None if link is None else link[:3])
    cache = _cache(connection)
    compiled = cache.get(key)
    if compiled is None:
        quote = connection.ops.quote_name
        targets = [f for f in opts.local_concrete_fields if f is not opts.auto_field]
        sql = "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(  # noqa: S608 - quoted names, values as parameters
            quote(opts.db_table),
            ", ".join(quote(f.column) for f in targets),
            ", ".join(["%s"] * len(targets)),
            quote(opts.pk.column),
        )
        if link is not None:
            through_opts: Any = link[0]._meta
            from_column = quote(through_opts.get_field(link[1]).column)
            to_column = quote(through_opts.get_field(link[2]).column)
            sql = (
                f"WITH new AS ({sql}) INSERT INTO {quote(through_opts.db_table)} ({from_column}, {to_column})"  # noqa: S608
                f" SELECT new.{quote(opts.pk.column)}, %s FROM new RETURNING {from_column} AS {quote(opts.pk.column)}"
            )
        compiled = cache[key] = (sql, targets)
    sql, targets = compiled
    args = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in targets]
    if link is not None:
        args.append(link[3])
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        (pk,) = cursor.fetchone()
    setattr(instance, opts.pk.attname, pk)
    instance._state.adding = False
    instance._state.db = using
    if signals.post_save.has_listeners(model):
        signals.post_save.send(
            sender=model, instance=instance, created=True, update_fields=None, raw=False, using=using
        )
    return instance


def insert_links(
    through: type[models.Model],
    from_field: str,
    to_field: str,
    pairs: Iterable[tuple[Any, Any]],
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Rows ``(from id, to id)`` of a many-to-many through table in one INSERT (no read of the existing links)."""
    pairs = list(pairs)
    if not pairs:
        return
    connection = connections[using]
    opts: Any = through._meta
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}, {}) VALUES {}".format(  # noqa: S608 - quoted names, values as parameters
        quote(opts.db_table),
        quote(opts.get_field(from_field).column),
        quote(opts.get_field(to_field).column),
        ", ".join(["(%s, %s)"] * len(pairs)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for pair in pairs for value in pair])
