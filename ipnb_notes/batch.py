"""Several independent querysets read in one round trip.

A page's reads rarely depend on each other once the access check has fetched its object; each
costs a round trip to PostgreSQL, and round trips, not SQL, dominate a page's latency. `fetch`
compiles every queryset, sends the statements together (client-side binding allows several
statements in one execute; dashboards/reports.py does the same with raw SQL) and fills each
queryset's result cache as if it had been evaluated alone: model instances, select_related
objects, values() rows and annotations come out exactly as Django builds them. A queryset's
prefetch_related still runs its own queries afterwards.

    goals, notes = batch.fetch(client.goals.all(), ProgressNote.objects.filter(...))

`sorted_here(qs)` asks fetch to send a queryset without its ORDER BY and to sort its rows in
Python by the same fields, in the same directions: compiling an ordering costs Django more
than sorting a page's few dozen rows (it hashes every selected column to match the ORDER BY
against the SELECT). Only orderings that sort the same in both places are accepted: plain
non-null integer, date and time columns, through non-null foreign keys the queryset already
selects; never text (PostgreSQL's collation is not Python's order), never a sliced queryset.
Rows equal on every key, whose order PostgreSQL leaves undefined, come by id.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import DateField, ForeignKey, IntegerField, QuerySet
from django.db.models.query import ModelIterable
from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE


@dataclass(frozen=True)
class SortedHere:
    """A queryset without its ORDER BY and the ordering fetch applies to its rows:
    (attribute path, descending) per ordering field, most significant first."""

    queryset: QuerySet
    keys: tuple[tuple[tuple[str, ...], bool], ...]


def sorted_here(qs: QuerySet) -> SortedHere:
    """The queryset for fetch, ordered in Python as its ORDER BY (or its model's Meta
    ordering) would order it in PostgreSQL; ValueError for an ordering that might not."""
    query = qs.query
    if (
        query.is_sliced
        or query.distinct_fields
        or query.extra_order_by
        or query.combinator
        or not query.standard_ordering
        or qs._fields is not None
        or qs._iterable_class is not ModelIterable
    ):
        raise ValueError("sorted_here takes a plain, unsliced queryset of models")
    ordering = query.order_by or (
        query.get_meta().ordering if query.default_ordering else ()
    )
    if not ordering:
        raise ValueError("sorted_here needs an ordering")
    keys = tuple(_key(query, item) for item in ordering)
    # Rows equal on every key (PostgreSQL leaves their order undefined) come by id.
    pk = ((query.get_meta().pk.attname,), False)
    if pk[0] not in {attrs for attrs, _ in keys}:
        keys += (pk,)
    return SortedHere(qs.order_by(), keys)


def _key(query, item) -> tuple[tuple[str, ...], bool]:
    if not isinstance(item, str) or item == "?":
        raise ValueError(f"cannot sort by {item!r} in Python")
    descending = item.startswith("-")
    names = item.removeprefix("-").split("__")
    model, selected, attrs = query.model, query.select_related, []
    for position, name in enumerate(names):
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        last = position == len(names) - 1
        if getattr(field, "null", True):
            raise ValueError(f"{item}: {name} may be null")
        if isinstance(field, ForeignKey) and not last:
            if not (selected is True or (selected and name in selected)):
                raise ValueError(f"{item}: {name} is not select_related")
            selected = selected if selected is True else selected[name]
            model = field.related_model
            attrs.append(field.name)
        elif last and isinstance(field, (IntegerField, DateField)):
            attrs.append(field.attname)
        else:
            raise ValueError(f"{item}: {name} does not sort alike in Python")
    return tuple(attrs), descending


def _value(obj, attrs: tuple[str, ...]):
    for attr in attrs:
        obj = getattr(obj, attr)
    return obj


def fetch(*querysets: QuerySet | SortedHere) -> list[list]:
    """Evaluate the querysets in one round trip; returns their results (lists), in order.
    Every queryset must use the same database; sliced and ordered querysets are fine."""
    sorts = [q.keys if isinstance(q, SortedHere) else () for q in querysets]
    querysets = [
        (q.queryset if isinstance(q, SortedHere) else q)._chain() for q in querysets
    ]
    if not querysets:
        return []
    db = querysets[0].db
    connection = connections[db]
    compilers, statements, params = [], [], []
    for qs in querysets:
        if qs.db != db:
            raise ValueError("batch.fetch reads from one database")
        compiler = qs.query.get_compiler(using=db)
        try:
            sql, sql_params = compiler.as_sql()
        except EmptyResultSet:
            compilers.append((compiler, None))
            continue
        compilers.append((compiler, len(statements)))
        statements.append(sql)
        params.extend(sql_params)
    rows_by_statement: list[list] = []
    if statements:
        with connection.cursor() as cursor:
            cursor.execute(";\n".join(statements), params)
            while True:
                rows_by_statement.append(cursor.fetchall())
                if not cursor.nextset():
                    break
    results = []
    for qs, (compiler, index), keys in zip(querysets, compilers, sorts, strict=True):
        rows = [] if index is None else rows_by_statement[index]
        _fill(qs, compiler, rows)
        # Least significant key first: each stable sort keeps the order of the ones after it.
        for attrs, descending in reversed(keys):
            qs._result_cache.sort(
                key=lambda obj: _value(obj, attrs), reverse=descending
            )
        results.append(qs._result_cache)
    return results


def _fill(qs: QuerySet, compiler, rows: list) -> None:
    """Let the queryset's own iterable build its results from rows already fetched."""

    def execute_sql(*args, **kwargs):
        return iter([rows]) if rows else iter([])

    compiler.execute_sql = execute_sql
    compiler.has_results = lambda: bool(rows)
    query = qs.query
    query.get_compiler = lambda *args, **kwargs: compiler
    try:
        qs._result_cache = list(
            qs._iterable_class(
                qs, chunked_fetch=False, chunk_size=GET_ITERATOR_CHUNK_SIZE
            )
        )
    finally:
        del query.get_compiler
    if qs._prefetch_related_lookups and not qs._prefetch_done:
        qs._prefetch_related_objects()
