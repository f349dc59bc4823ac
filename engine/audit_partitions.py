"""PostgreSQL: audit_event partitioned by month of `at` (issue 16); SQLite keeps one table.

`at` is the canonical UTC text of engine.clock.stamp ('2025-04-15T02:00:00.000000Z'), so a month is the
text range ['2025-04-01', '2025-05-01'). A partitioned table's unique constraints must hold the partition
key: the primary key is (id, at) and the uniqueness of (task_id, seq) becomes (task_id, seq, at) there;
a second event with the same seq is still named by verification ("duplicated (inserted?)"). Rows outside
every month (a malformed `at`, a month not created yet) land in the default partition, so an insert never
fails. The row triggers that refuse UPDATE and DELETE are declared on the parent, and PostgreSQL clones
them onto every partition, including those attached later; the TRUNCATE trigger is a statement trigger,
which it does not clone, so each partition gets its own. A month whose events already sit in the default
partition is not created afterwards: moving them would mean deleting audit rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

DEFAULT = "audit_event_default"
APPEND_ONLY = "audit_event_append_only()"


def month_name(month: date) -> str:
    return f"audit_event_y{month.year:04d}m{month.month:02d}"


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months(first: date, last: date) -> list[date]:
    """Every month from first's to last's, inclusive (as first days)."""
    found, month = [], date(first.year, first.month, 1)
    while month <= last:
        found.append(month)
        month = next_month(month)
    return found


def truncate_guard(table: str) -> str:
    return (f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {APPEND_ONLY}")


def partition_sql(month: date) -> list[str]:
    name = month_name(month)
    return [f"CREATE TABLE {name} PARTITION OF audit_event FOR VALUES FROM ('{month.isoformat()}') "
            f"TO ('{next_month(month).isoformat()}')", truncate_guard(name)]


def is_partitioned(execute: Callable[[str], Any]) -> bool:
    rows = execute("SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                   "WHERE c.relname = 'audit_event'")
    return bool(rows)


def existing_months(execute: Callable[[str], Any]) -> set[str]:
    rows = execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                   "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'audit_event'")
    return {str(r[0]) for r in rows}


def missing_months_sql(execute: Callable[[str], Any], wanted: list[date]) -> list[str]:
    """Statements creating the wanted months that are neither there nor already holding rows in the default."""
    have, statements = existing_months(execute), []
    for month in wanted:
        if month_name(month) in have:
            continue
        if execute(f"SELECT 1 FROM {DEFAULT} WHERE at >= '{month.isoformat()}' "
                   f"AND at < '{next_month(month).isoformat()}' LIMIT 1"):
            continue
        statements.extend(partition_sql(month))
    return statements


def ensure_months(db: Any, first: date, last: date) -> list[str]:
    """Create the month partitions from first to last that are missing (PostgreSQL; nothing on SQLite).
    Returns the names created. Run ahead of time (e.g. with the daily sweep): see the module's docstring."""
    if db.is_sqlite:
        return []
    with db.write() as cur:
        def execute(sql: str) -> list[tuple[Any, ...]]:
            cur.execute(sql)
            return list(cur.fetchall()) if cur.description else []

        if not is_partitioned(execute):
            return []
        execute("LOCK TABLE audit_event IN SHARE ROW EXCLUSIVE MODE")  # two runs never create one month twice
        statements = missing_months_sql(execute, months(first, last))
        for sql in statements:
            execute(sql)
    return [s.split()[2] for s in statements if s.startswith("CREATE TABLE")]


MONTHS_AHEAD = 3  # kept ready after the current month by the worker's sweep and `phancap audit partitions`


def ensure_ahead(db: Any, today: date, ahead: int = MONTHS_AHEAD) -> list[str]:
    """This month's partition and the next `ahead` months' (PostgreSQL); the names created."""
    first = last = today.replace(day=1)
    for _ in range(ahead):
        last = next_month(last)
    return ensure_months(db, first, last)
