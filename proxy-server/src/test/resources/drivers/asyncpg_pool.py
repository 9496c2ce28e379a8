"""asyncpg's own pool for DriverPoolsTest: asyncpg.create_pool(min_size=4, max_size=4) with its default
reset on release (advisory unlocks, CLOSE ALL, UNLISTEN *, RESET ALL), shared by more tasks than it has
connections, each query on a connection acquired for it: fetch, an explicit prepare, executemany and a
transaction that reads back what it wrote.

usage: asyncpg_pool.py HOST PORT USER DB TABLE [TASKS] [QUERIES]
TABLE must exist: (task int, q int, k int, note text, primary key (task, q, k)).
Every error is counted, not raised; prints "ok <TASKS*QUERIES>" and exits 0 when there were none.
"""
import asyncio
import sys

import asyncpg

ROWS = 3


async def one(pool, table, t, q):
    async with pool.acquire() as conn:
        kind = q % 4
        if kind == 0:
            rows = await conn.fetch("select $1::int * 1000 + g as v from generate_series(1, 2) g", t * 100 + q)
            want = [(t * 100 + q) * 1000 + g for g in (1, 2)]
            if [r["v"] for r in rows] != want:
                raise AssertionError(f"fetch got {rows!r}, wanted {want!r}")
        elif kind == 1:
            stmt = await conn.prepare(f"select $1::text || ':' || $2::int as s_{q % 5}")
            got = await stmt.fetchval(f"t{t}", q)
            if got != f"t{t}:{q}":
                raise AssertionError(f"prepared statement got {got!r}")
        elif kind == 2:
            await conn.executemany(f"insert into {table} (task, q, k, note) values ($1, $2, $3, $4)",
                                   [(t, q, k, f"t{t}q{q}k{k}") for k in range(ROWS)])
        else:
            async with conn.transaction():
                await conn.execute(f"insert into {table} (task, q, k, note) values ($1, $2, 0, 'tx')", t, q)
                got = await conn.fetchval(f"select count(*) from {table} where task = $1 and q = $2", t, q)
                if got != 1:
                    raise AssertionError(f"transaction read back {got} rows")


async def task(pool, table, t, queries, errors):
    for q in range(queries):
        try:
            await one(pool, table, t, q)
        except Exception as e:  # counted: the test wants zero, and wants to see them all
            errors.append(f"task {t} query {q}: {type(e).__name__}: {e}")


async def main():
    host, port, user, db, table = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    tasks = int(sys.argv[6]) if len(sys.argv) > 6 else 8
    queries = int(sys.argv[7]) if len(sys.argv) > 7 else 20
    errors = []
    async with asyncpg.create_pool(host=host, port=port, user=user, database=db, min_size=4, max_size=4,
                                   timeout=60, command_timeout=60) as pool:
        await asyncio.gather(*(task(pool, table, t, queries, errors) for t in range(tasks)))
    for e in errors[:20]:
        print(e, flush=True)
    if errors:
        print(f"FAILED {len(errors)} of {tasks * queries} queries", flush=True)
        return 1
    print(f"ok {tasks * queries}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
