"""Re-encrypt every token (clinical text and second-factor seeds) under the current key, and
tell whether an older key is still in use.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run `manage.py rotate_keys`, then `manage.py rotate_keys --check-retire <old id>`, and only
when that succeeds drop the old key from the setting. `--report` lists, per table and column,
how many tokens each key holds, and fails while any token is not under the current key.

Every token is bound to its place (table, column, row; for a second factor, the user's
authenticator), so re-encryption reads each row's identity with its token and seals the new
token for the same place. A token that does not decrypt in its place (moved, tampered with,
or a legacy v1 token) is never rewritten: the command names it and fails at the end.

Signed notes, addenda and other append-only rows are protected by database triggers that refuse
any UPDATE. Re-encryption changes the ciphertext, never the content, so this command (and only
this command) lifts those triggers for its own statements with pgtrigger.ignore, and proves
the content is unchanged: every new token is decrypted and compared with the old plaintext
before it is written, and the write is a compare-and-swap on the old token, so a row edited
meanwhile is left for the next run instead of being overwritten. The migration that bound
v1 tokens to their place ran the same machinery (`bind_legacy_tokens`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pgtrigger
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

import audit
from ipnb_notes.fields import encrypted_fields, key_ring, place_aad
from ipnb_notes.lib.crypto import LEGACY_PREFIX, PREFIX, KeyRing, KeyRingError

MFA_TABLE = "mfa_authenticator"
MFA_KEYS = ("secret", "seed", "migrated_codes")
# The one associated data every second-factor token shared before tokens were bound.
LEGACY_MFA_AAD = b"mfa.authenticator.secret"

# transform(token, aad of its place, aad it had as a v1 token) -> new token, or None to keep.
Transform = Callable[[str, bytes, bytes], "str | None"]


def encrypted_columns() -> list[tuple[type, list]]:
    """Every concrete model with encrypted fields, and those fields (found through _meta)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = encrypted_fields(model)
        if fields:
            found.append((model, fields))
    return found


@dataclass(frozen=True)
class Column:
    """An encrypted column: `label` for people, the rest for SQL (never user input)."""

    label: str
    table: str
    column: str
    pk: str = "id"
    row: str = "code"


def model_columns() -> list[Column]:
    return [
        Column(
            label=f"{model._meta.label}.{f.name}",
            table=model._meta.db_table,
            column=f.column,
            pk=model._meta.pk.column,
            row=model._meta.get_field(f.row_identity).column,
        )
        for model, fields in encrypted_columns()
        for f in fields
    ]


def _trigger_uris(tables: set[str]) -> list[str]:
    uris = []
    for model in apps.get_models():
        if model._meta.db_table not in tables:
            continue
        for trigger in getattr(model._meta, "triggers", []) or []:
            uris.append(f"{model._meta.label}:{trigger.name}")
    return uris


@dataclass
class Outcome:
    done: dict[str, int] = field(default_factory=dict)
    raced: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def add(self, label: str, done: int, raced: int) -> None:
        self.done[label] = self.done.get(label, 0) + done
        if raced:
            self.raced[label] = self.raced.get(label, 0) + raced


def rewrite_tokens(
    transform: Transform,
    *,
    columns: list[Column],
    batch_size: int = 500,
    dry_run: bool = False,
) -> tuple[Outcome, list[str]]:
    """Apply `transform` to every token of `columns` and of the second factors, with the
    append-only triggers of those tables lifted for these statements only."""
    uris = _trigger_uris({c.table for c in columns})
    outcome = Outcome()
    with pgtrigger.ignore(*uris):
        for column in columns:
            _rewrite_column(column, transform, outcome, batch_size, dry_run)
        _rewrite_second_factors(transform, outcome, batch_size, dry_run)
    return outcome, uris


def _rewrite_column(column: Column, transform, outcome, batch_size, dry_run) -> None:
    qn = connection.ops.quote_name
    table, pk, row, col = (
        qn(column.table),
        qn(column.pk),
        qn(column.row),
        qn(column.column),
    )
    last = None
    while True:
        done = raced = 0
        with transaction.atomic(), connection.cursor() as cursor:
            where = f"WHERE {pk} > %s" if last is not None else ""
            params = [last] if last is not None else []
            cursor.execute(
                f"SELECT {pk}, {row}, {col} FROM {table} {where} "
                f"ORDER BY {pk} LIMIT %s",
                [*params, batch_size],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            for row_pk, code, token in rows:
                if not token:
                    continue
                aad = place_aad(column.table, column.column, code)
                try:
                    new_token = transform(token, aad, b"")
                except KeyRingError as exc:
                    outcome.failed.append(
                        f"{column.table}.{column.column} of row {code}: {exc}"
                    )
                    continue
                if new_token is None:
                    continue
                if dry_run:
                    done += 1
                    continue
                cursor.execute(
                    f"UPDATE {table} SET {col} = %s WHERE {pk} = %s AND {col} = %s",
                    [new_token, row_pk, token],
                )
                if cursor.rowcount == 1:
                    done += 1
                else:
                    raced += 1
        outcome.add(column.label, done, raced)


def _rewrite_second_factors(transform, outcome, batch_size, dry_run) -> None:
    from accounts.mfa import secret_aad

    last = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, user_id, type, data::text FROM mfa_authenticator "
                "WHERE id > %s ORDER BY id LIMIT %s",
                [last, batch_size],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            for auth_id, user_id, kind, text in rows:
                data = json.loads(text)
                changed: dict[str, int] = {}
                for key in MFA_KEYS:
                    value = data.get(key)
                    tokens = value if isinstance(value, list) else [value]
                    aad = secret_aad(user_id=user_id, type=kind, key=key)
                    new_tokens = []
                    for token in tokens:
                        new = None
                        if isinstance(token, str) and token:
                            try:
                                new = transform(token, aad, LEGACY_MFA_AAD)
                            except KeyRingError as exc:
                                outcome.failed.append(
                                    f"{MFA_TABLE}.data.{key} of user {user_id} "
                                    f"({kind}): {exc}"
                                )
                        new_tokens.append(token if new is None else new)
                        if new is not None:
                            changed[key] = changed.get(key, 0) + 1
                    if key in changed:
                        data[key] = (
                            new_tokens if isinstance(value, list) else new_tokens[0]
                        )
                if not changed:
                    continue
                if not dry_run:
                    cursor.execute(
                        "UPDATE mfa_authenticator SET data = %s::jsonb "
                        "WHERE id = %s AND data = %s::jsonb",
                        [json.dumps(data), auth_id, text],
                    )
                for key, n in changed.items():
                    label = f"mfa.Authenticator.data.{key}"
                    if dry_run or cursor.rowcount == 1:
                        outcome.add(label, n, 0)
                    else:
                        outcome.add(label, 0, n)


def rotation(ring: KeyRing) -> Transform:
    """Moves a token of this place to the current key, proving its content unchanged."""

    def transform(token: str, aad: bytes, legacy_aad: bytes) -> str | None:
        plaintext = ring.decrypt(token, aad=aad)  # refuses v1 and misplaced tokens
        if not ring.needs_rotation(token):
            return None
        new_token = ring.encrypt(plaintext, aad=aad)
        if ring.decrypt(new_token, aad=aad) != plaintext:
            raise CommandError("re-encryption did not round-trip")
        return new_token

    return transform


def binding_of_legacy_tokens(ring: KeyRing) -> Transform:
    """Re-encrypts a v1 token (sealed without its place) as a v2 token bound to its place."""

    def transform(token: str, aad: bytes, legacy_aad: bytes) -> str | None:
        if token.split(":", 1)[0] != LEGACY_PREFIX:
            return None
        plaintext = ring.decrypt_legacy(token, aad=legacy_aad)
        new_token = ring.encrypt(plaintext, aad=aad)
        if ring.decrypt(new_token, aad=aad) != plaintext:
            raise KeyRingError("re-encryption did not round-trip")
        return new_token

    return transform


def bind_legacy_tokens(columns: list[Column], *, batch_size: int = 500) -> Outcome:
    """For the migration: every v1 token becomes a v2 token bound to where it is."""
    outcome, _ = rewrite_tokens(
        binding_of_legacy_tokens(key_ring()), columns=columns, batch_size=batch_size
    )
    if outcome.failed:
        raise KeyRingError(
            "some tokens could not be re-encrypted: " + "; ".join(outcome.failed[:20])
        )
    return outcome


def token_census(columns: list[Column]) -> dict[str, dict[str, int]]:
    """{label: {key id (or "v1:<id>" for a legacy token): count}} over every token."""
    census: dict[str, dict[str, int]] = {}
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for column in columns:
            col = qn(column.column)
            cursor.execute(
                f"SELECT split_part({col}, ':', 1), split_part({col}, ':', 2), count(*) "
                f"FROM {qn(column.table)} WHERE {col} <> '' GROUP BY 1, 2"
            )
            for version, key_id, n in cursor.fetchall():
                name = key_id if version == PREFIX else f"{version}:{key_id}"
                census.setdefault(column.label, {})[name] = n
        cursor.execute(
            "SELECT k, split_part(t, ':', 1), split_part(t, ':', 2), count(*) FROM ("
            " SELECT 'secret' AS k, data->>'secret' AS t FROM mfa_authenticator"
            " UNION ALL SELECT 'seed', data->>'seed' FROM mfa_authenticator"
            " UNION ALL SELECT 'migrated_codes', jsonb_array_elements_text("
            "   data->'migrated_codes') FROM mfa_authenticator"
            "   WHERE jsonb_typeof(data->'migrated_codes') = 'array'"
            ") AS tokens WHERE t IS NOT NULL AND t <> '' GROUP BY 1, 2, 3"
        )
        for key, version, key_id, n in cursor.fetchall():
            name = key_id if version == PREFIX else f"{version}:{key_id}"
            census.setdefault(f"mfa.Authenticator.data.{key}", {})[name] = n
    return census


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field and second-factor seed under the current key; "
        "--report and --check-retire tell whether an older key is still in use."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be re-encrypted without writing.",
        )
        parser.add_argument(
            "--report",
            action="store_true",
            help="List the tokens under each key per table and column; fail while any "
            "token is not under the current key.",
        )
        parser.add_argument(
            "--check-retire",
            metavar="KEY_ID",
            help="Fail unless no token uses KEY_ID, so that it may be removed from "
            "FIELD_ENCRYPTION_KEYS.",
        )

    def handle(
        self,
        *args,
        batch_size: int,
        dry_run: bool,
        report: bool,
        check_retire: str | None,
        **options,
    ) -> None:
        if report or check_retire:
            return self._report(retiring=check_retire)
        ring = key_ring()
        outcome, uris = rewrite_tokens(
            rotation(ring),
            columns=model_columns(),
            batch_size=batch_size,
            dry_run=dry_run,
        )
        total = sum(outcome.done.values())
        if not dry_run:
            audit.record(
                "keys.rotate",
                target_type="encryption_key",
                target_code=ring.current_id,
                changes={
                    "key_id": ring.current_id,
                    "rotated": total,
                    "by_field": outcome.done,
                    "changed_meanwhile": outcome.raced,
                    "unreadable": len(outcome.failed),
                    "triggers_lifted": uris,
                },
            )
        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        self.stdout.write(f"{verb} {total} value(s) under key {ring.current_id!r}.")
        for label, n in outcome.done.items():
            if n:
                self.stdout.write(f"  {label}: {n}")
        if outcome.raced:
            self.stdout.write(
                self.style.WARNING(
                    "Some rows changed during the run; run the command again: "
                    + ", ".join(f"{k} ({v})" for k, v in outcome.raced.items())
                )
            )
        if outcome.failed:
            for line in outcome.failed:
                self.stderr.write(f"  {line}")
            raise CommandError(
                f"{len(outcome.failed)} token(s) do not decrypt in their place and were "
                "left as they are: restore them from a backup or remove them."
            )

    def _report(self, *, retiring: str | None) -> None:
        ring = key_ring()
        census = token_census(model_columns())
        self.stdout.write(f"Current key: {ring.current_id!r}.")
        stale: list[str] = []
        using_retiring: list[str] = []
        for label in sorted(census):
            by_key = census[label]
            self.stdout.write(
                f"  {label}: "
                + ", ".join(f"{k} {n}" for k, n in sorted(by_key.items()))
            )
            for key_id, n in by_key.items():
                if key_id != ring.current_id:
                    stale.append(f"{label} ({key_id}: {n})")
                if key_id == retiring or key_id.endswith(f":{retiring}"):
                    using_retiring.append(f"{label} ({n})")
        if retiring is not None:
            if retiring == ring.current_id:
                raise CommandError(
                    f"Key {retiring!r} is the current key: it encrypts everything new. "
                    "Put a new key first and run rotate_keys before retiring it."
                )
            if using_retiring:
                raise CommandError(
                    f"Key {retiring!r} is still in use; do not remove it. Run rotate_keys "
                    "and check again. Still under it: " + ", ".join(using_retiring)
                )
            self.stdout.write(
                self.style.SUCCESS(
                    f"No token uses key {retiring!r}: it may be removed from "
                    "FIELD_ENCRYPTION_KEYS (keep it in escrow for older backups)."
                )
            )
            return
        if stale:
            raise CommandError(
                "Some tokens are not under the current key; run rotate_keys: "
                + ", ".join(stale)
            )
        self.stdout.write(self.style.SUCCESS("Every token is under the current key."))
