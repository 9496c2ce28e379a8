"""psycopg 3 load for OtherDriversTest: many threads, one connection each, with prepare_threshold=0
(every query becomes a named server-side prepared statement _pg3_N on first use), pipeline mode with
several queries per Sync, and executemany (pipelined by psycopg) in a transaction.

usage: psycopg_load.py HOST PORT USER DB TABLE [CLIENTS] [ITERATIONS]
TABLE must exist: (client int, iter int, k int, note text, primary key (client, iter, k)).
Prints "ok <CLIENTS*ITERATIONS>" and exits 0 when every result was the one its client asked for.
"""
import sys
import threading

import psycopg

ROWS_PER_BATCH = 3
BATCH_EVERY = 5


def client(cid, conninfo, table, iterations, results):
    try:
        with psycopg.connect(**conninfo, prepare_threshold=0, autocommit=True, connect_timeout=60) as conn:
            done = 0
            for i in range(iterations):
                # a prepared statement (Parse once per connection, then Bind/Execute)
                v = conn.execute("select %s::int * 1000 + %s::int", (cid, i)).fetchone()[0]
                if v != cid * 1000 + i:
                    raise AssertionError(f"client {cid} iter {i}: got {v!r}")

                # pipeline mode: several prepared queries sent before one Sync, results read afterwards
                with conn.pipeline():
                    c1 = conn.execute("select %s::int * 1000 + %s::int", (cid, i))
                    c2 = conn.execute("select %s::text || ':' || g from generate_series(1, %s::int) g",
                                      (f"c{cid}i{i}", 3))
                    c3 = conn.execute("select %s::int as client, %s::text as tag", (cid, f"tag{cid}-{i}"))
                    c4 = conn.execute(f"select count(*) from {table} where client = %s", (cid,))
                r1 = c1.fetchone()[0]
                r2 = [r[0] for r in c2.fetchall()]
                r3 = c3.fetchone()
                c4.fetchone()
                if r1 != cid * 1000 + i:
                    raise AssertionError(f"client {cid} iter {i}: pipeline q1 got {r1!r}")
                if r2 != [f"c{cid}i{i}:{g}" for g in (1, 2, 3)]:
                    raise AssertionError(f"client {cid} iter {i}: pipeline q2 got {r2!r}")
                if tuple(r3) != (cid, f"tag{cid}-{i}"):
                    raise AssertionError(f"client {cid} iter {i}: pipeline q3 got {r3!r}")

                # executemany (pipelined) in a transaction, read back in the same transaction
                if i % BATCH_EVERY == 0:
                    with conn.transaction():
                        with conn.cursor() as cur:
                            cur.executemany(
                                f"insert into {table} (client, iter, k, note) values (%s, %s, %s, %s)",
                                [(cid, i, k, f"c{cid}i{i}k{k}") for k in range(ROWS_PER_BATCH)])
                            cur.execute(f"select note from {table} where client = %s and iter = %s order by k",
                                        (cid, i))
                            notes = [r[0] for r in cur.fetchall()]
                    if notes != [f"c{cid}i{i}k{k}" for k in range(ROWS_PER_BATCH)]:
                        raise AssertionError(f"client {cid} iter {i}: batch read back {notes!r}")
                done += 1
            results[cid] = done
    except BaseException as e:  # noqa: BLE001 - reported, then the run fails
        results[cid] = e


def main():
    host, port, user, db, table = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    clients = int(sys.argv[6]) if len(sys.argv) > 6 else 20
    iterations = int(sys.argv[7]) if len(sys.argv) > 7 else 50
    if not psycopg.Pipeline.is_supported():
        print("FAILED psycopg pipeline mode is not supported by this libpq", flush=True)
        return 2
    conninfo = dict(host=host, port=port, user=user, dbname=db)
    results = [None] * clients
    threads = [threading.Thread(target=client, args=(c, conninfo, table, iterations, results))
               for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [(c, r) for c, r in enumerate(results) if not isinstance(r, int)]
    for c, e in errors:
        print(f"client {c} failed: {type(e).__name__}: {e}", flush=True)
    if errors:
        print(f"FAILED {len(errors)} of {clients} clients", flush=True)
        return 1
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        rows = conn.execute(f"select count(*) from {table}").fetchone()[0]
    batches = len(range(0, iterations, BATCH_EVERY))
    if rows != clients * batches * ROWS_PER_BATCH:
        print(f"FAILED table has {rows} rows, expected {clients * batches * ROWS_PER_BATCH}", flush=True)
        return 1
    print(f"ok {sum(results)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
