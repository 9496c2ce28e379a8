#!/usr/bin/python3
"""Opens N idle, logged-in PostgreSQL client connections to a pooler and reports its RSS growth per client.

Logs in with SCRAM-SHA-256 (or trust/cleartext, whatever the server asks), waits for ReadyForQuery, keeps
every connection open and idle, then prints one line:

    opened=N before_kb=K after_kb=K heap_before=B heap_after=B seconds=S error=TEXT

before_kb/after_kb are the pooler's VmRSS (from /proc/PID/status) before the first login and a few seconds
after the last; seconds is the wall time of the N logins. With --heap-command (a shell command printing a
JVM class histogram, whose last line is "Total <objects> <bytes>"), heap_before/heap_after are the live
heap in bytes right after each RSS reading (0 without it): what the clients hold, apart from the garbage
their logins left in pages the heap touched. With --hold-command, that shell command runs
while the clients are still open (a heap histogram: jcmd PID GC.class_histogram). Standard library only.

The client caches SCRAM's SaltedPassword per salt: the pooler's cost per login is what is measured, not
the client's PBKDF2.
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import os
import struct
import subprocess
import sys
import time

SALTED = {}


def live_heap(command):
    if not command:
        return 0
    out = subprocess.run(command, shell=True, capture_output=True, text=True, check=False).stdout.split()
    return int(out[-1]) if len(out) >= 3 and out[-3] == "Total" else -1


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def read_message(reader):
    header = await reader.readexactly(5)
    length = struct.unpack("!I", header[1:])[0]
    return header[:1], await reader.readexactly(length - 4)


def error_text(payload):
    fields = dict((f[:1].decode(), f[1:].decode("utf-8", "replace")) for f in payload.split(b"\0") if f)
    return f"ErrorResponse {fields.get('C')}: {fields.get('M')}"


def scram_proof(password, client_first_bare, server_first):
    attrs = dict(part.split("=", 1) for part in server_first.split(","))
    salt, iterations = base64.b64decode(attrs["s"]), int(attrs["i"])
    key = (password, attrs["s"], iterations)
    salted = SALTED.get(key)
    if salted is None:
        salted = SALTED[key] = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    without_proof = "c=biws,r=" + attrs["r"]
    auth_message = ",".join([client_first_bare, server_first, without_proof]).encode()
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    return without_proof + ",p=" + base64.b64encode(proof).decode()


async def login(host, port, user, password, db):
    reader, writer = await asyncio.open_connection(host, port)
    body = struct.pack("!I", 196608) + b"user\0" + user.encode() + b"\0database\0" + db.encode() + b"\0\0"
    writer.write(struct.pack("!I", len(body) + 4) + body)
    client_first_bare = None
    while True:
        kind, payload = await read_message(reader)
        if kind == b"R":
            code = struct.unpack("!I", payload[:4])[0]
            if code == 10:  # SASL: SCRAM-SHA-256
                nonce = base64.b64encode(os.urandom(18)).decode()
                client_first_bare = "n=,r=" + nonce
                first = ("n,," + client_first_bare).encode()
                msg = b"SCRAM-SHA-256\0" + struct.pack("!I", len(first)) + first
                writer.write(b"p" + struct.pack("!I", len(msg) + 4) + msg)
            elif code == 11:  # SASL continue
                final = scram_proof(password, client_first_bare, payload[4:].decode()).encode()
                writer.write(b"p" + struct.pack("!I", len(final) + 4) + final)
            elif code == 3:  # cleartext
                pw = password.encode() + b"\0"
                writer.write(b"p" + struct.pack("!I", len(pw) + 4) + pw)
            elif code not in (0, 12):  # 0 ok, 12 SASL final
                raise RuntimeError(f"authentication request {code} is not supported by this client")
        elif kind == b"E":
            raise RuntimeError(error_text(payload))
        elif kind == b"Z":
            return writer


async def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--clients", type=int, required=True)
    p.add_argument("--pid", type=int, required=True, help="the pooler's process id (for its RSS)")
    p.add_argument("--user", default="postgres")
    p.add_argument("--password", default=os.environ.get("PGPASSWORD", ""))
    p.add_argument("--db", default="postgres")
    p.add_argument("--concurrency", type=int, default=50, help="logins in flight at once")
    p.add_argument("--hold-command", help="shell command run while the clients are open")
    p.add_argument("--heap-command", help="shell command printing a class histogram (live heap)")
    a = p.parse_args()

    await asyncio.sleep(2)
    before = rss_kb(a.pid)
    heap_before = live_heap(a.heap_command)
    writers, errors = [], []
    started = time.time()
    next_client = iter(range(a.clients))

    async def worker():
        for i in next_client:
            if errors:
                return
            try:
                writers.append(await asyncio.wait_for(login(a.host, a.port, a.user, a.password, a.db), 120))
            except Exception as e:  # report how far it got
                errors.append(f"client {i + 1}: {type(e).__name__}: {e}")
                return

    await asyncio.gather(*(worker() for _ in range(a.concurrency)))
    elapsed = time.time() - started
    await asyncio.sleep(3)
    after = rss_kb(a.pid)
    heap_after = live_heap(a.heap_command)
    print(f"opened={len(writers)} before_kb={before} after_kb={after} heap_before={heap_before} heap_after={heap_after} "
          f"seconds={elapsed:.1f} error={errors[0] if errors else ''}",
          flush=True)
    if a.hold_command:
        subprocess.run(a.hold_command, shell=True, check=False)
    for w in writers:
        try:
            w.write(b"X\0\0\0\4")
            w.close()
        except OSError:
            pass


if __name__ == "__main__":
    asyncio.run(main())
