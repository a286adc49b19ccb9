"""`pmo-portal backup` and `restore`: learning records in a portable JSON-lines file.

The dump is read in one transaction (a consistent snapshot on SQLite in WAL mode
and on PostgreSQL), table by table in foreign-key order; restoring replays it
into an empty, migrated database of either kind — which is also how the embedded
SQLite default moves to PostgreSQL. Derived tables (the item analysis's daily sums
and its queue) are not dumped: the restore recomputes the sums from the answers,
after copying those of the attempts still queued at the dump from their results
(`item_stats.rebuild_item_stats`). The backup only reads.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import IO, Any

import sqlalchemy as sa

import portal.models  # noqa: F401  (registers every table)
from portal.db import Base
from portal.learning.item_stats import rebuild_item_stats

FORMAT = "pmo-portal-sauvegarde"
VERSION = 1
BATCH = 2000


class BackupError(Exception):
    """A backup that can't be restored here; the message says why, in French."""


def _tables() -> list[sa.Table]:
    """The tables a backup holds: all but those derived from others."""
    return [t for t in Base.metadata.sorted_tables if not t.info.get("derived")]


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def dump(engine: sa.Engine, out: IO[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            header = {"format": FORMAT, "version": VERSION, "schema": revision,
                      "created": dt.datetime.now(dt.UTC).isoformat()}
            out.write(json.dumps(header) + "\n")
            for table in _tables():
                counts[table.name] = 0
                order = list(table.primary_key.columns)
                result = conn.execution_options(yield_per=BATCH).execute(sa.select(table).order_by(*order))
                for row in result.mappings():
                    record = {k: _encode(v) for k, v in row.items()}
                    out.write(json.dumps({"t": table.name, "r": record}, ensure_ascii=False) + "\n")
                    counts[table.name] += 1
    return counts


def _decode(table: sa.Table, record: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(record)
    for column in table.columns:
        value = decoded.get(column.name)
        if isinstance(value, str) and isinstance(column.type, sa.DateTime):
            decoded[column.name] = dt.datetime.fromisoformat(value)
    return decoded


def _lines(source: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(source, 1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError:
                raise BackupError(f"ligne {number} : JSON invalide") from None


def load(engine: sa.Engine, source: IO[str]) -> dict[str, int]:
    tables = {t.name: t for t in _tables()}
    lines = _lines(source)
    try:
        _number, header = next(lines)
    except StopIteration:
        raise BackupError("fichier de sauvegarde vide") from None
    if header.get("format") != FORMAT:
        raise BackupError("ce fichier n'est pas une sauvegarde du portail")
    counts: dict[str, int] = {name: 0 for name in tables}
    with engine.begin() as conn:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        if header.get("schema") != revision:
            raise BackupError(
                f"sauvegarde au schéma {header.get('schema')}, base au schéma {revision} : "
                "appliquez les mêmes migrations des deux côtés"
            )
        for name in tables:
            if conn.execute(sa.select(sa.func.count()).select_from(tables[name])).scalar():
                raise BackupError(f"la base cible n'est pas vide (table {name}) : restaurez dans une base neuve")
        batch: list[dict[str, Any]] = []
        current: sa.Table | None = None
        for number, item in lines:
            table = tables.get(item.get("t", ""))
            if table is None:
                raise BackupError(f"ligne {number} : table inconnue « {item.get('t')} »")
            if current is not None and table is not current and batch:
                conn.execute(current.insert(), batch)
                batch = []
            current = table
            batch.append(_decode(table, item["r"]))
            counts[table.name] += 1
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                batch = []
        if batch and current is not None:
            conn.execute(current.insert(), batch)
        rebuild_item_stats(conn)
        if conn.dialect.name == "postgresql":
            for table in tables.values():
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and pk[0].autoincrement:
                    conn.execute(sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                        f"COALESCE((SELECT max({pk[0].name}) FROM {table.name}), 0) + 1, false)"
                    ))
    return counts
