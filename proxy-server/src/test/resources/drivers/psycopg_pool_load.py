"""psycopg_pool.ConnectionPool for DriverPoolsTest: min_size=max_size=4 shared by more threads than it
has connections, each query on a connection taken for it: a select, a prepared statement (prepare=True),
executemany and a transaction that reads back what it wrote.

usage: psycopg_pool_load.py HOST PORT USER DB TABLE [THREADS] [QUERIES]
TABLE must exist: (task int, q int, k int, note text, primary key (task, q, k)).
Every error is counted, not raised; prints "ok <THREADS*QUERIES>" and exits 0 when there were none.
"""
import sys
import threading

import psycopg_pool

ROWS = 3


def one(pool, table, t, q):
    with pool.connection() as conn:
        kind = q % 4
        if kind == 0:
            rows = conn.execute("select %s::int * 1000 + g from generate_series(1, 2) g", (t * 100 + q,)).fetchall()
            want = [((t * 100 + q) * 1000 + g,) for g in (1, 2)]
            if rows != want:
                raise AssertionError(f"select got {rows!r}, wanted {want!r}")
        elif kind == 1:
            got = conn.execute("select %s::text || ':' || %s::int", (f"t{t}", q), prepare=True).fetchone()[0]
            if got != f"t{t}:{q}":
                raise AssertionError(f"prepared statement got {got!r}")
        elif kind == 2:
            with conn.cursor() as cur:
                cur.executemany(f"insert into {table} (task, q, k, note) values (%s, %s, %s, %s)",
                                [(t, q, k, f"t{t}q{q}k{k}") for k in range(ROWS)])
        else:
            with conn.transaction():
                conn.execute(f"insert into {table} (task, q, k, note) values (%s, %s, 0, 'tx')", (t, q))
                got = conn.execute(f"select count(*) from {table} where task = %s and q = %s", (t, q)).fetchone()[0]
                if got != 1:
                    raise AssertionError(f"transaction read back {got} rows")


def worker(pool, table, t, queries, errors):
    for q in range(queries):
        try:
            one(pool, table, t, q)
        except Exception as e:  # counted: the test wants zero, and wants to see them all
            errors.append(f"thread {t} query {q}: {type(e).__name__}: {e}")


def main():
    host, port, user, db, table = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    threads = int(sys.argv[6]) if len(sys.argv) > 6 else 8
    queries = int(sys.argv[7]) if len(sys.argv) > 7 else 20
    errors = []
    conninfo = f"host={host} port={port} user={user} dbname={db}"
    # autocommit: each statement outside conn.transaction() is its own transaction, as with asyncpg
    with psycopg_pool.ConnectionPool(conninfo, min_size=4, max_size=4, timeout=60,
                                     kwargs={"autocommit": True}) as pool:
        pool.wait(timeout=60)
        ts = [threading.Thread(target=worker, args=(pool, table, t, queries, errors)) for t in range(threads)]
        for th in ts:
            th.start()
        for th in ts:
            th.join()
    for e in errors[:20]:
        print(e, flush=True)
    if errors:
        print(f"FAILED {len(errors)} of {threads * queries} queries", flush=True)
        return 1
    print(f"ok {threads * queries}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
