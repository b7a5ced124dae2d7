"""Re-encrypt every encrypted column under the current (first) key of FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run `manage.py rotate_keys`, and only then drop the old key from the setting.

Signed notes, addenda and other append-only rows are protected by database triggers that refuse
any UPDATE. Re-encryption changes the ciphertext, never the content, so this command (and only
this command) lifts those triggers for its own statements with pgtrigger.ignore, and proves
the content is unchanged: every new token is decrypted and compared with the old plaintext
before it is written, and the write is a compare-and-swap on the old token, so a row edited
meanwhile is left for the next run instead of being overwritten.
"""

from __future__ import annotations

import pgtrigger
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

import audit
from ipnb_notes.fields import EncryptedJSONField, EncryptedTextField, key_ring


def encrypted_columns() -> list[tuple[type, list]]:
    """Every concrete model with encrypted fields, and those fields (found through _meta)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (EncryptedTextField, EncryptedJSONField))
        ]
        if fields:
            found.append((model, fields))
    return found


def _trigger_uris(models) -> list[str]:
    uris = []
    for model in models:
        for trigger in getattr(model._meta, "triggers", []) or []:
            uris.append(f"{model._meta.label}:{trigger.name}")
    return uris


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the current encryption key."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be re-encrypted without writing.",
        )

    def handle(self, *args, batch_size: int, dry_run: bool, **options) -> None:
        ring = key_ring()
        targets = encrypted_columns()
        uris = _trigger_uris(model for model, _ in targets)
        counts: dict[str, int] = {}
        skipped: dict[str, int] = {}
        with pgtrigger.ignore(*uris):
            for model, fields in targets:
                for field in fields:
                    label = f"{model._meta.label}.{field.name}"
                    done, raced = self._rotate(
                        ring, model, field, batch_size=batch_size, dry_run=dry_run
                    )
                    counts[label] = done
                    if raced:
                        skipped[label] = raced
        total = sum(counts.values())
        if not dry_run:
            audit.record(
                "keys.rotate",
                target_type="encryption_key",
                target_code=ring.current_id,
                changes={
                    "key_id": ring.current_id,
                    "rotated": total,
                    "by_field": counts,
                    "changed_meanwhile": skipped,
                    "triggers_lifted": uris,
                },
            )
        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        self.stdout.write(f"{verb} {total} value(s) under key {ring.current_id!r}.")
        for label, n in counts.items():
            if n:
                self.stdout.write(f"  {label}: {n}")
        if skipped:
            self.stdout.write(
                self.style.WARNING(
                    "Some rows changed during the run; run the command again: "
                    + ", ".join(f"{k} ({v})" for k, v in skipped.items())
                )
            )

    def _rotate(self, ring, model, field, *, batch_size: int, dry_run: bool):
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        pk = qn(model._meta.pk.column)
        column = qn(field.column)
        last = None
        done = raced = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                where = f"WHERE {pk} > %s" if last is not None else ""
                params = [last] if last is not None else []
                cursor.execute(
                    f"SELECT {pk}, {column} FROM {table} {where} "
                    f"ORDER BY {pk} LIMIT %s",
                    [*params, batch_size],
                )
                rows = cursor.fetchall()
                if not rows:
                    return done, raced
                last = rows[-1][0]
                for row_pk, token in rows:
                    if not token or not ring.needs_rotation(token):
                        continue
                    plaintext = ring.decrypt(token)
                    new_token = ring.encrypt(plaintext)
                    if ring.decrypt(new_token) != plaintext:
                        raise CommandError(
                            f"{model._meta.label} {row_pk}: re-encryption did not round-trip"
                        )
                    if dry_run:
                        done += 1
                        continue
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",
                        [new_token, row_pk, token],
                    )
                    if cursor.rowcount == 1:
                        done += 1
                    else:
                        raced += 1
