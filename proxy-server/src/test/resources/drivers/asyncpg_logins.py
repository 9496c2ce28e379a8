"""SCRAM logins for DriverLoginsTest: COUNT asyncpg connections one after another (a few at a time), each
running one query. asyncpg before 0.28 finds "s=" and "i=" anywhere in the server-first-message, so a
server nonce of arbitrary printable characters made about one login in 300 send a wrong proof.

usage: asyncpg_logins.py HOST PORT USER PASSWORD DB [COUNT]
Prints "ok <COUNT>" and exits 0 when every login succeeded.
"""
import asyncio
import sys

import asyncpg

PARALLEL = 4


async def login(args, i, errors):
    host, port, user, password, db = args
    try:
        conn = await asyncpg.connect(host=host, port=port, user=user, password=password, database=db, timeout=60)
        try:
            if await conn.fetchval("select $1::int", i) != i:
                raise AssertionError("wrong answer")
        finally:
            await conn.close()
    except Exception as e:
        errors.append(f"login {i}: {type(e).__name__}: {e}")


async def main():
    args = (sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    count = int(sys.argv[6]) if len(sys.argv) > 6 else 300
    errors = []
    for start in range(0, count, PARALLEL):
        await asyncio.gather(*(login(args, i, errors) for i in range(start, min(count, start + PARALLEL))))
    for e in errors[:20]:
        print(e, flush=True)
    if errors:
        print(f"FAILED {len(errors)} of {count} logins", flush=True)
        return 1
    print(f"ok {count}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
