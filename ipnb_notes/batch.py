"""Several independent querysets read in one round trip.

A page's reads rarely depend on each other once the access check has fetched its object; each
costs a round trip to PostgreSQL, and round trips, not SQL, dominate a page's latency. `fetch`
compiles every queryset, sends the statements together (`run`: one pipeline, one round trip;
dashboards/reports.py sends its raw SQL the same way) and fills each queryset's result cache
as if it had been evaluated alone: model instances, select_related objects, values() rows and
annotations come out exactly as Django builds them. A queryset's prefetch_related still runs
its own queries afterwards.

`run` sends each statement with server-side binding as a prepared statement of the
connection (psycopg names it, PostgreSQL parses and plans it once per connection and reuses
the plan): a page's statements are the same text on every request, only their parameters
change, and planning them again on each request cost PostgreSQL as much as executing them.
Django's own cursors keep client-side binding and are never prepared.

    goals, notes = batch.fetch(client.goals.all(), ProgressNote.objects.filter(...))

`sorted_here(qs)` asks fetch to send a queryset without its ORDER BY and to sort its rows in
Python by the same fields, in the same directions: compiling an ordering costs Django more
than sorting a page's few dozen rows (it hashes every selected column to match the ORDER BY
against the SELECT). Only orderings that sort the same in both places are accepted: plain
non-null integer, date and time columns, through non-null foreign keys the queryset already
selects; never text (PostgreSQL's collation is not Python's order), never a sliced queryset.
Rows equal on every key, whose order PostgreSQL leaves undefined, come by id.

`Raw(sql, params)` lets a fixed SQL statement (a report's CTE, a window query) ride in the
same round trip as the querysets: fetch gives its rows as plain tuples, in the statement's
column order, nothing converted.

    goals, [(total,)] = batch.fetch(client.goals.all(), batch.Raw("SELECT ...", {"c": 1}))

`plain(bound)` makes a baked values() statement a Raw one: its rows as tuples without Django's
iterable (no queryset clone, no result cache, no converters), for a page that only prints
them; `plain_names(bound)` names its columns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import psycopg
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, DateField, ForeignKey, IntegerField, QuerySet
from django.db.models.query import ModelIterable, ValuesIterable, ValuesListIterable
from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE
from django.utils import timezone

from ipnb_notes import clock


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


@dataclass(frozen=True)
class Raw:
    """A read statement for fetch, as run takes it: %s or %(name)s placeholders, as Django
    writes them. Its result is the list of its rows, each a tuple."""

    sql: str
    params: Sequence | Mapping = ()
    using: str = "default"


def _value(obj, attrs: tuple[str, ...]):
    for attr in attrs:
        obj = getattr(obj, attr)
    return obj


def fetch(*querysets: QuerySet | SortedHere | Bound | Raw) -> list[list]:
    """Evaluate the querysets in one round trip; returns their results (lists), in order.
    Every queryset must use the same database; sliced and ordered querysets are fine.
    A `Bound` (from `Baked`) comes already compiled; a `Raw` statement gives its rows as
    tuples."""
    if not querysets:
        return []
    entries = []  # (queryset, compiler or None, sort keys, statement index or None)
    statements = []
    db = None
    for item in querysets:
        if isinstance(item, Raw):
            if db is None:
                db = item.using
            elif item.using != db:
                raise ValueError("batch.fetch reads from one database")
            entries.append((item, None, (), len(statements)))
            statements.append((item.sql, item.params))
            continue
        if isinstance(item, Bound):
            qs, compiler, keys = item.template._chain(), copy(item.compiler), item.keys
            sql, sql_params = item.sql, item.params
        else:
            keys = item.keys if isinstance(item, SortedHere) else ()
            qs = (item.queryset if isinstance(item, SortedHere) else item)._chain()
            compiler = qs.query.get_compiler(using=qs.db)
            try:
                sql, sql_params = compiler.as_sql()
            except EmptyResultSet:
                compiler = None
        if db is None:
            db = qs.db
        elif qs.db != db:
            raise ValueError("batch.fetch reads from one database")
        if compiler is None:
            entries.append((qs, None, keys, None))
            continue
        entries.append((qs, compiler, keys, len(statements)))
        statements.append((sql, sql_params))
    rows_by_statement = [
        rows for _columns, rows in run(statements, using=db, names=False)
    ]
    results = []
    for qs, compiler, keys, index in entries:
        if isinstance(qs, Raw):  # its rows as PostgreSQL gave them
            results.append(rows_by_statement[index])
            continue
        if compiler is None:  # the statement could return no row (EmptyResultSet)
            results.append([])
            continue
        _fill(qs, compiler, rows_by_statement[index])
        # Least significant key first: each stable sort keeps the order of the ones after it.
        for attrs, descending in reversed(keys):
            qs._result_cache.sort(
                key=lambda obj: _value(obj, attrs), reverse=descending
            )
        results.append(qs._result_cache)
    return results


# Prepared statements a connection keeps (psycopg's default is 100; the pages' statements,
# each text once, are a few hundred). PostgreSQL keeps each one's plan in the connection.
PREPARED_MAX = 1000


def run(
    statements: Sequence[tuple[str, Sequence | Mapping]],
    *,
    using: str = "default",
    names: bool = True,
) -> list[tuple[list[str], list[tuple]]]:
    """Execute read statements ((sql, params) with %s or %(name)s placeholders, as Django
    writes them) in one round trip: (column names, rows) per statement, in order.

    They go through one psycopg pipeline on the connection Django holds, with server-side
    binding, each as a prepared statement, inside whatever transaction Django has open.
    Writes queued with `carry` go first, in the same round trip, when the connection is in
    the state they were queued in. Query logging (DEBUG, CaptureQueriesContext) records them
    as one query: one round trip. `names=False` leaves the column names out (batch.fetch
    knows its columns).
    """
    connection = connections[using]
    queued = connection.__dict__.get(_QUEUED)
    if queued and _state(connection) == connection.__dict__.get(_BASE):
        return _send(connection, queued, statements, names)
    if not statements:
        return []
    return _send(connection, [], statements, names)


def _send(connection, riding: list, statements, names: bool) -> list:
    sent = [(c.sql, c.params) for c in riding] + list(statements)
    started = time.monotonic()
    with connection.cursor() as django_cursor, connection.wrap_database_errors:
        conn = django_cursor.cursor.connection
        conn.prepared_max = max(conn.prepared_max or 0, PREPARED_MAX)
        cursors = []
        with conn.pipeline():
            for sql, params in sent:
                cursor = psycopg.Cursor(conn)
                cursor.execute(sql, params, prepare=True)
                cursors.append(cursor)
        results = []
        for cursor in cursors:
            columns = [c.name for c in cursor.description] if names else []
            results.append((columns, cursor.fetchall()))
            cursor.close()
    if connection.queries_logged:
        connection.queries_log.append(
            {
                "sql": ";\n".join(
                    connection.ops.compose_sql(sql, params) for sql, params in sent
                ),
                "time": f"{time.monotonic() - started:.3f}",
            }
        )
    if riding:
        # Sent (and, outside a transaction block, committed with the reads): off the queue
        # before their callbacks run, so that nothing sends them twice.
        carried = list(riding)
        riding.clear()
        for write, (_columns, rows) in zip(carried, results, strict=False):
            write.then(rows)
        results = results[len(carried) :]
    return results


# --- Writes that ride with the next read ------------------------------------------------------
# A request's audit event (audit.read) is an INSERT that needs no answer before the page's
# reads: queued here, it goes at the head of the page's next batch round trip instead of on a
# round trip (and a commit) of its own. Only between `carrying()`'s start and end (one
# request, ipnb_notes.http.CarriedWritesMiddleware), and only in the transaction state the
# request began in: a write queued there is never sent inside a transaction block opened
# later (it would roll back with a transaction it was not part of), and the end sends what is
# still queued, before the response leaves.

_QUEUED = "ipnb_carried_writes"
_BASE = "ipnb_carried_state"


@dataclass(frozen=True)
class _Carried:
    sql: str
    params: Sequence | Mapping
    then: Callable[[list[tuple]], None]


def _state(connection) -> tuple:
    """The connection's transaction state: its open atomic blocks and savepoints."""
    return (tuple(map(id, connection.atomic_blocks)), tuple(connection.savepoint_ids))


class carrying:
    """`with batch.carrying():` around one request: `carry` may queue writes inside it, and
    its end sends whatever is still queued (an error sending them goes up: the response is
    not given without them)."""

    def __init__(self, using: str = "default") -> None:
        self.using = using

    def __enter__(self) -> None:
        connection = connections[self.using]
        connection.__dict__[_BASE] = _state(connection)
        connection.__dict__[_QUEUED] = []

    def __exit__(self, *exc) -> None:
        connection = connections[self.using]
        queued = connection.__dict__.pop(_QUEUED, None)
        connection.__dict__.pop(_BASE, None)
        if not queued:
            return
        raw = connection.connection
        if (
            raw is not None
            and raw.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        ):
            # The transaction they were queued in has failed and rolls back; written
            # in it, they would have rolled back with it.
            return
        _send(connection, queued, [], names=False)


def carry(
    sql: str,
    params: Sequence | Mapping,
    then: Callable[[list[tuple]], None],
    *,
    using: str = "default",
) -> bool:
    """Queue one write (an INSERT ... RETURNING) to go at the head of the connection's next
    `run` in this request's transaction state, or at the request's end; `then` gets its rows
    once it is sent. False (nothing queued) outside `carrying()` or inside a transaction
    block the request opened: the caller sends it itself, now."""
    connection = connections[using]
    queued = connection.__dict__.get(_QUEUED)
    if queued is None or _state(connection) != connection.__dict__.get(_BASE):
        return False
    queued.append(_Carried(sql, params, then))
    return True


def _fill(qs: QuerySet, compiler, rows: list) -> None:
    """Let the queryset's own iterable build its results from rows already fetched."""
    if not rows:
        # Nothing to build: the iterable would still work out every column's converters.
        qs._result_cache = []
        qs._prefetch_done = True
        return

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


# --- Querysets built and compiled once per process -----------------------------------------------
#
# Building a queryset (filter, add_q) and compiling it to SQL cost Django more than PostgreSQL
# spends executing a page's statements. A page's querysets have the same shape on every
# request; only their values change (the reader, the session, the clock). `Baked` builds
# them once per shape with stand-in values, finds where each value lands among the compiled
# statement's parameters, and from then on only puts the request's values in those places.
#
#     _HOME = batch.Baked(lambda user, now: [...querysets...])
#     lists = batch.fetch(*_HOME(request.user, timezone.now()))
#
# The builder's positional arguments are the values: int, str, UUID, date, aware datetime, or
# a User. A user's role and flags (its boolean and choice fields) and which of its fields are
# empty are part of the shape; every other field is a value. Keyword arguments are shape
# (a LIMIT, a flag): the builder is built again for each distinct set. A builder must not
# compute new values from its arguments (pass them in) or branch on them: bake refuses a
# builder whose SQL or stand-in values differ between two builds with different stand-ins,
# and with settings.BATCH_VERIFY_BAKED (on under tests) every call is also built the plain way
# and compared, statement and parameters.

_BAKED_SCALARS = (int, str, UUID, date, datetime)


class _StandIns:
    """Distinct stand-in values, each remembered with the argument path it stands for."""

    def __init__(self, salt: int) -> None:
        self.salt = salt
        self.paths: dict[tuple[type, object], tuple] = {}
        self.count = 0

    def make(self, kind: type, path: tuple):
        self.count += 1
        n, s = self.count, self.salt
        if kind is bool:
            raise TypeError(
                f"Baked: a bool value is shape, pass it by keyword ({path})"
            )
        if kind is int:
            value = 1_900_000_000 + s * 10_000 + n  # within a 32-bit integer column
        elif kind is str:
            value = f"baked-{s}-{n}-{uuid4().hex}"
        elif kind is UUID:
            value = uuid4()
        elif kind is datetime:
            value = datetime(1971 + s, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
        elif kind is date:
            value = date(1901 + s, 1, 1) + timedelta(days=n)
        else:
            raise TypeError(f"Baked: cannot stand in for a {kind.__name__} ({path})")
        self.paths[(kind, value)] = path
        return value


def _kind(value) -> type:
    for kind in (bool, datetime, date, int, str, UUID):  # subclasses first
        if isinstance(value, kind):
            return kind
    raise TypeError(f"Baked: {type(value).__name__} is not a value Baked takes")


def _model_shape(obj) -> tuple:
    """What of a model instance decides a query's shape: its boolean and choice fields, and
    which of its other fields are empty."""
    shape = []
    for f in obj._meta.concrete_fields:
        value = getattr(obj, f.attname)
        if isinstance(f, BooleanField) or f.choices:
            shape.append((f.attname, value))
        else:
            shape.append((f.attname, value is None))
    return (obj._meta.model, tuple(shape))


def _stand_in_model(obj, index: int, stand_ins: _StandIns):
    clone = obj._meta.model()
    for f in obj._meta.concrete_fields:
        value = getattr(obj, f.attname)
        if isinstance(f, BooleanField) or f.choices or value is None:
            setattr(clone, f.attname, value)
        else:
            setattr(clone, f.attname, stand_ins.make(_kind(value), (index, f.attname)))
    clone._state.adding = False
    clone._state.db = obj._state.db
    return clone


@dataclass(frozen=True)
class Bound:
    """One baked statement with a request's values: what fetch sends and how it fills."""

    template: QuerySet
    compiler: object | None  # None: the statement can return no row (EmptyResultSet)
    sql: str
    params: tuple
    keys: tuple


@dataclass(frozen=True)
class _Compiled:
    template: QuerySet
    compiler: object | None
    sql: str
    params: tuple  # the constants; a value's place holds None
    places: dict  # param index -> argument path
    keys: tuple


class Baked:
    """A list of querysets (or one) built and compiled once per shape; see above."""

    def __init__(self, build) -> None:
        self.build = build
        self._shapes: dict[tuple, list[_Compiled]] = {}

    def __call__(self, *args, **shape) -> list[Bound]:
        for value in args:
            if not hasattr(value, "_meta") and _kind(value) is bool:
                raise TypeError("Baked: a bool value is shape, pass it by keyword")
            if isinstance(value, datetime) and value.tzinfo is None:
                raise TypeError("Baked: datetimes must be aware")
        key = (
            tuple(_model_shape(v) if hasattr(v, "_meta") else _kind(v) for v in args),
            tuple(sorted(shape.items())),
        )
        compiled = self._shapes.get(key)
        if compiled is None:
            compiled = self._shapes[key] = self._bake(args, shape)
        at = timezone.now()

        def real(path):
            if path[0] == "clock":
                return clock.value(path[1], path[2], at)
            return _value(args[path[0]], path[1:])

        bound = [
            Bound(
                c.template,
                c.compiler,
                c.sql,
                tuple(
                    real(c.places[i]) if i in c.places else p
                    for i, p in enumerate(c.params)
                )
                if c.places
                else c.params,
                c.keys,
            )
            for c in compiled
        ]
        if getattr(settings, "BATCH_VERIFY_BAKED", False):
            self._verify(args, shape, bound, at)
        return bound

    def _build(self, args, shape) -> list:
        built = self.build(*args, **shape)
        return list(built) if isinstance(built, (list, tuple)) else [built]

    def _compile(self, item):
        sort = item.keys if isinstance(item, SortedHere) else ()
        qs = (item.queryset if isinstance(item, SortedHere) else item)._chain()
        compiler = qs.query.get_compiler(using=qs.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return qs, None, "", (), sort
        return qs, compiler, sql, tuple(params), sort

    def _bake(self, args, shape) -> list[_Compiled]:
        builds = []
        for salt in (1, 2):
            stand_ins = _StandIns(salt)
            stand = tuple(
                _stand_in_model(v, i, stand_ins)
                if hasattr(v, "_meta")
                else stand_ins.make(_kind(v), (i,))
                for i, v in enumerate(args)
            )
            token = clock._stand_in.set(_clock_stand_in(stand_ins))
            try:
                built = [self._compile(q) for q in self._build(stand, shape)]
            finally:
                clock._stand_in.reset(token)
            builds.append((built, stand_ins))
        (first, ins1), (second, ins2) = builds
        if len(first) != len(second):
            raise ValueError(f"Baked {self.build.__qualname__}: built differently")
        for (qs, *_), (qs2, *_) in zip(first, second, strict=True):
            # Objects a related manager attaches, and a prefetch's own queryset, would
            # keep the stand-ins: only plain querysets are baked.
            if qs._known_related_objects or _prefetch_sql(qs) != _prefetch_sql(qs2):
                raise ValueError(
                    f"Baked {self.build.__qualname__}: a related manager's queryset or a"
                    " prefetch that depends on a value cannot be baked"
                )
        compiled = []
        for (qs, compiler, sql, p1, keys), (_, _, sql2, p2, _) in zip(
            first, second, strict=True
        ):
            if sql != sql2 or len(p1) != len(p2):
                raise ValueError(
                    f"Baked {self.build.__qualname__}: the SQL depends on a value;"
                    " pass it by keyword as shape"
                )
            places, constants = [], []
            for i, (a, b) in enumerate(zip(p1, p2, strict=True)):
                if a == b and type(a) is type(b):
                    constants.append(a)
                    continue
                path1 = ins1.paths.get((type(a), a)) if _hashable(a) else None
                path2 = ins2.paths.get((type(b), b)) if _hashable(b) else None
                if path1 is None or path1 != path2:
                    raise ValueError(
                        f"Baked {self.build.__qualname__}: parameter {i} is computed"
                        " from a value; compute it outside and pass it in"
                    )
                places.append((i, path1))
                constants.append(None)
            compiled.append(
                _Compiled(qs, compiler, sql, tuple(constants), dict(places), keys)
            )
        return compiled

    def _verify(self, args, shape, bound: list[Bound], at: datetime) -> None:
        token = clock._stand_in.set(lambda what, arg: clock.value(what, arg, at))
        try:
            plain = [self._compile(q) for q in self._build(args, shape)]
        finally:
            clock._stand_in.reset(token)
        for (_qs, _compiler, sql, params, _keys), b in zip(plain, bound, strict=True):
            if sql != b.sql or list(params) != list(b.params):
                raise AssertionError(
                    f"Baked {self.build.__qualname__} differs from its plain build:\n"
                    f"{sql}\n{params}\n--- baked ---\n{b.sql}\n{b.params}"
                )


def _clock_stand_in(stand_ins: _StandIns):
    """ipnb_notes.clock's values while a builder runs: one stand-in per (what, argument)."""
    made = {}

    def stand_in(what: str, argument):
        if (what, argument) not in made:
            kind = date if what == "today" else datetime
            made[what, argument] = stand_ins.make(kind, ("clock", what, argument))
        return made[what, argument]

    return stand_in


def _prefetch_sql(qs: QuerySet) -> list:
    """The statements and parameters of a queryset's Prefetch querysets."""
    out = []
    for lookup in qs._prefetch_related_lookups:
        inner = getattr(lookup, "queryset", None)
        if inner is not None:
            out.append(inner.query.get_compiler(using=qs.db).as_sql())
    return out


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# --- Baked values() statements read as plain tuples ------------------------------------------------

_PLAIN: dict[int, tuple[QuerySet, tuple[str, ...]]] = {}


def plain_names(bound: Bound) -> tuple[str, ...]:
    """The column names of a baked values() or values_list() statement, in its rows' order
    (as ValuesIterable names them). ValueError for model rows, a queryset sorted here, or a
    column Django would convert on reading (an encrypted or JSON field, an aggregate's
    default): `plain` would give them otherwise than fetch does."""
    known = _PLAIN.get(id(bound.template))
    if known is not None and known[0] is bound.template:
        return known[1]
    qs = bound.template
    if qs._iterable_class not in (ValuesIterable, ValuesListIterable) or bound.keys:
        raise ValueError("batch.plain takes a values() or values_list() statement")
    query = qs.query
    if bound.compiler is not None:
        compiler = bound.compiler
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        if compiler.get_converters(fields):
            raise ValueError("batch.plain: a column of this statement is converted")
    names = (*query.extra_select, *query.values_select, *query.annotation_select)
    _PLAIN[id(qs)] = (qs, names)
    return names


def plain(bound: Bound) -> Raw:
    """A baked values() or values_list() statement as a Raw one for fetch: its rows as
    tuples, in plain_names' order (checked there). A rule that can match nothing (no
    statement) reads as a statement that returns no row."""
    plain_names(bound)
    if bound.compiler is None:
        return Raw("SELECT WHERE false", (), bound.template.db)
    return Raw(bound.sql, bound.params, bound.template.db)


# --- Baked statements read as raw ones, their results built only when they have rows ---------------


def statement(bound: Bound) -> Raw:
    """A baked statement as a Raw one for fetch (its rows as tuples, as PostgreSQL gives
    them), for `filled` to build its results from. A rule that can match nothing (no
    statement) reads as a statement that returns no row."""
    if bound.compiler is None:
        return Raw("SELECT WHERE false", (), bound.template.db)
    return Raw(bound.sql, bound.params, bound.template.db)


def filled(bound: Bound, rows: list) -> list:
    """The results fetch gives for a baked statement, built from the rows its `statement`
    returned: model instances, select_related objects, annotations and prefetches as fetch
    builds them. A statement that returned no row gives an empty list without cloning its
    queryset (most of a page's lists are empty for most readers)."""
    if not rows or bound.compiler is None:
        return []
    qs = bound.template._chain()
    _fill(qs, copy(bound.compiler), rows)
    for attrs, descending in reversed(bound.keys):
        qs._result_cache.sort(key=lambda obj: _value(obj, attrs), reverse=descending)
    return qs._result_cache
