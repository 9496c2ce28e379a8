"""asyncpg load for OtherDriversTest: many concurrent clients, each on its own connection, using
asyncpg's statement cache (named __asyncpg_stmt_N__ statements, Parse + Describe before Bind),
explicit prepare() with get_attributes()/get_parameters(), and executemany in a transaction.

usage: asyncpg_load.py HOST PORT USER DB TABLE [CLIENTS] [ITERATIONS]
TABLE must exist: (client int, iter int, k int, note text, primary key (client, iter, k)).
Prints "ok <CLIENTS*ITERATIONS>" and exits 0 when every result was the one its client asked for.
"""
import asyncio
import sys

import asyncpg

ROWS_PER_BATCH = 3
BATCH_EVERY = 5


async def client(cid, args, table, iterations):
    host, port, user, db = args
    conn = await asyncpg.connect(host=host, port=port, user=user, database=db, timeout=60)
    done = 0
    try:
        for i in range(iterations):
            # statement cache: the same text each time, so after the first Parse only Bind/Execute
            v = await conn.fetchval("select $1::int * 1000 + $2::int", cid, i)
            if v != cid * 1000 + i:
                raise AssertionError(f"client {cid} iter {i}: fetchval got {v!r}")

            # a second cached statement with a text result and two rows
            rows = await conn.fetch(
                "select $1::text || ':' || $2::int || ':' || g as s from generate_series(1, 2) g",
                f"c{cid}", i)
            got = [r["s"] for r in rows]
            if got != [f"c{cid}:{i}:1", f"c{cid}:{i}:2"]:
                raise AssertionError(f"client {cid} iter {i}: fetch got {got!r}")

            # Describe-heavy: explicit prepare with a column alias that varies, so some prepares are new
            alias = f"v_{(cid + i) % 7}"
            stmt = await conn.prepare(f"select $1::int * 1000 + $2::int as {alias}, $3::text as tag")
            attrs = [a.name for a in stmt.get_attributes()]
            params = [t.name for t in stmt.get_parameters()]
            if attrs != [alias, "tag"] or params != ["int4", "int4", "text"]:
                raise AssertionError(f"client {cid} iter {i}: prepare described {attrs!r} {params!r}")
            row = await stmt.fetchrow(cid, i, f"t{cid}-{i}")
            if row[alias] != cid * 1000 + i or row["tag"] != f"t{cid}-{i}":
                raise AssertionError(f"client {cid} iter {i}: prepared fetchrow got {tuple(row)!r}")

            # executemany inside a transaction, read back inside the same transaction
            if i % BATCH_EVERY == 0:
                async with conn.transaction():
                    await conn.executemany(
                        f"insert into {table} (client, iter, k, note) values ($1, $2, $3, $4)",
                        [(cid, i, k, f"c{cid}i{i}k{k}") for k in range(ROWS_PER_BATCH)])
                    notes = await conn.fetch(
                        f"select note from {table} where client = $1 and iter = $2 order by k", cid, i)
                    want = [f"c{cid}i{i}k{k}" for k in range(ROWS_PER_BATCH)]
                    if [r["note"] for r in notes] != want:
                        raise AssertionError(f"client {cid} iter {i}: batch read back {notes!r}")
            done += 1
    finally:
        await conn.close()
    return done


async def main():
    host, port, user, db, table = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    clients = int(sys.argv[6]) if len(sys.argv) > 6 else 20
    iterations = int(sys.argv[7]) if len(sys.argv) > 7 else 50
    results = await asyncio.gather(
        *(client(c, (host, port, user, db), table, iterations) for c in range(clients)),
        return_exceptions=True)
    errors = [(c, r) for c, r in enumerate(results) if isinstance(r, BaseException)]
    for c, e in errors:
        print(f"client {c} failed: {type(e).__name__}: {e}", flush=True)
    if errors:
        print(f"FAILED {len(errors)} of {clients} clients", flush=True)
        return 1
    conn = await asyncpg.connect(host=host, port=port, user=user, database=db, timeout=60)
    try:
        rows = await conn.fetchval(f"select count(*) from {table}")
    finally:
        await conn.close()
    batches = len(range(0, iterations, BATCH_EVERY))
    if rows != clients * batches * ROWS_PER_BATCH:
        print(f"FAILED table has {rows} rows, expected {clients * batches * ROWS_PER_BATCH}", flush=True)
        return 1
    print(f"ok {sum(results)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
