"""Several independent querysets read in one round trip.

A page's reads rarely depend on each other once the access check has fetched its object; each
costs a round trip to PostgreSQL, and round trips, not SQL, dominate a page's latency. `fetch`
compiles every queryset, sends the statements together (client-side binding allows several
statements in one execute; dashboards/reports.py does the same with raw SQL) and fills each
queryset's result cache as if it had been evaluated alone: model instances, select_related
objects, values() rows and annotations come out exactly as Django builds them. A queryset's
prefetch_related still runs its own queries afterwards.

    goals, notes = batch.fetch(client.goals.all(), ProgressNote.objects.filter(...))
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE


def fetch(*querysets: QuerySet) -> list[list]:
    """Evaluate the querysets in one round trip; returns their results (lists), in order.
    Every queryset must use the same database; sliced and ordered querysets are fine."""
    querysets = [qs._chain() for qs in querysets]
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
    for qs, (compiler, index) in zip(querysets, compilers, strict=True):
        rows = [] if index is None else rows_by_statement[index]
        _fill(qs, compiler, rows)
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
