"""Core statements run on the driver's cursor, for the few hot statements where
SQLAlchemy's work per execution costs more than the statement itself.

A `DriverStatement` is compiled once per dialect: its SQL text, the order of its
parameters (for drivers with positional placeholders, such as `sqlite3`) and
SQLAlchemy's own bind processors for their types (dates on SQLite, JSON, booleans),
so the database receives exactly what `Connection.execute` would have sent. It runs
on the DBAPI connection of a SQLAlchemy `Connection`, in that connection's
transaction. What it leaves out is the per-call machinery: the compiled-cache lookup,
the execution context, the result object, and connection events
(`before_cursor_execute` listeners do not see these statements).

Only for statements without expanding (IN) or literal parameters, and whose result
columns need no processing (ids, text, numbers): `execute` gives the first row as the
driver returns it, `rows` all of them, and both close the cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # every parameter, in placeholder order when positional
    positional: bool
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]

    def parameters(self, given: Mapping[str, Any]) -> tuple | dict:
        values = {name: given[name] for name in self.names}
        for name, process in self.processors:
            if values[name] is not None:
                values[name] = process(values[name])
        if self.positional:
            return tuple(values[name] for name in self.names)
        return values


class DriverStatement:
    """`statement`, compiled once per dialect and run on the DBAPI cursor."""

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def execute(self, connection: sa.Connection, parameters: Mapping[str, Any]) -> tuple | None:
        """Run in `connection`'s transaction; the first row it returns (RETURNING), or None.
        Every parameter of the statement must be in `parameters` (KeyError otherwise)."""
        cursor = self._run(connection, parameters)
        try:
            return cursor.fetchone() if cursor.description is not None else None
        finally:
            cursor.close()

    def rows(self, connection: sa.Connection, parameters: Mapping[str, Any]) -> list[tuple]:
        """`execute`, with every row it returns."""
        cursor = self._run(connection, parameters)
        try:
            return cursor.fetchall() if cursor.description is not None else []
        finally:
            cursor.close()

    def _run(self, connection: sa.Connection, parameters: Mapping[str, Any]):
        compiled = self._by_dialect.get(connection.dialect.name)
        if compiled is None:
            compiled = self._by_dialect[connection.dialect.name] = self._compile(connection.dialect)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(parameters))
        except BaseException:
            cursor.close()
            raise
        return cursor

    def _compile(self, dialect: sa.Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("DriverStatement: expanding or literal parameters are not supported")
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup) if positional else tuple(dict.fromkeys(compiled.bind_names.values()))
        processors = []
        for bind, name in compiled.bind_names.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((name, process))
        return _Compiled(compiled.string, names, positional, tuple(processors))
