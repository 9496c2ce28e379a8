// node-postgres load for OtherDriversTest: many concurrent clients (Promise.all), one connection each,
// using named queries {name, text, values}: Parse under the client's name once per connection, then
// Bind/Describe/Execute/Sync by that name. Every client uses the same names (q1, q2, ...) with its own
// values, so the names clash across clients on shared servers unless the pooler keeps them apart.
//
// usage: node node_pg_load.js HOST PORT USER DB TABLE [CLIENTS] [ITERATIONS]
// TABLE must exist: (client int, iter int, k int, note text, primary key (client, iter, k)).
// Prints "ok <CLIENTS*ITERATIONS>" and exits 0 when every result was the one its client asked for.
'use strict';
const { Client } = require('pg');

const ROWS_PER_BATCH = 3;
const BATCH_EVERY = 5;

function check(cond, what) {
  if (!cond) throw new Error(what);
}

async function runClient(cid, cfg, table, iterations) {
  const client = new Client(cfg);
  await client.connect();
  let done = 0;
  try {
    for (let i = 0; i < iterations; i++) {
      const r1 = await client.query({ name: 'q1', text: 'select $1::int * 1000 + $2::int as v', values: [cid, i] });
      check(r1.rows.length === 1 && r1.rows[0].v === cid * 1000 + i,
        `client ${cid} iter ${i}: q1 got ${JSON.stringify(r1.rows)}`);

      const r2 = await client.query({
        name: 'q2',
        text: "select $1::text || ':' || g as s from generate_series(1, $2::int) g",
        values: [`c${cid}i${i}`, 2],
      });
      check(JSON.stringify(r2.rows.map((r) => r.s)) === JSON.stringify([`c${cid}i${i}:1`, `c${cid}i${i}:2`]),
        `client ${cid} iter ${i}: q2 got ${JSON.stringify(r2.rows)}`);

      // several named queries queued at once on one connection (node-postgres sends them one after another)
      const [a, b] = await Promise.all([
        client.query({ name: 'q3', text: 'select $1::int as client, $2::text as tag', values: [cid, `t${i}`] }),
        client.query({ name: 'q1', text: 'select $1::int * 1000 + $2::int as v', values: [cid, i + 1] }),
      ]);
      check(a.rows[0].client === cid && a.rows[0].tag === `t${i}`, `client ${cid} iter ${i}: q3 got ${JSON.stringify(a.rows)}`);
      check(b.rows[0].v === cid * 1000 + i + 1, `client ${cid} iter ${i}: queued q1 got ${JSON.stringify(b.rows)}`);

      if (i % BATCH_EVERY === 0) {
        await client.query('begin');
        try {
          for (let k = 0; k < ROWS_PER_BATCH; k++) {
            await client.query({
              name: 'ins',
              text: `insert into ${table} (client, iter, k, note) values ($1, $2, $3, $4)`,
              values: [cid, i, k, `c${cid}i${i}k${k}`],
            });
          }
          const back = await client.query({
            name: 'back',
            text: `select note from ${table} where client = $1 and iter = $2 order by k`,
            values: [cid, i],
          });
          const want = [...Array(ROWS_PER_BATCH).keys()].map((k) => `c${cid}i${i}k${k}`);
          check(JSON.stringify(back.rows.map((r) => r.note)) === JSON.stringify(want),
            `client ${cid} iter ${i}: batch read back ${JSON.stringify(back.rows)}`);
          await client.query('commit');
        } catch (e) {
          await client.query('rollback').catch(() => {});
          throw e;
        }
      }
      done++;
    }
  } finally {
    await client.end();
  }
  return done;
}

async function main() {
  const [host, port, user, database, table] = process.argv.slice(2, 7);
  const clients = process.argv[7] ? parseInt(process.argv[7], 10) : 20;
  const iterations = process.argv[8] ? parseInt(process.argv[8], 10) : 50;
  const cfg = { host, port: parseInt(port, 10), user, database, connectionTimeoutMillis: 60000 };
  const results = await Promise.allSettled(
    [...Array(clients).keys()].map((c) => runClient(c, cfg, table, iterations)));
  const failed = results.map((r, c) => [c, r]).filter(([, r]) => r.status === 'rejected');
  for (const [c, r] of failed) {
    console.log(`client ${c} failed: ${r.reason && r.reason.stack ? r.reason.stack : r.reason}`);
  }
  if (failed.length > 0) {
    console.log(`FAILED ${failed.length} of ${clients} clients`);
    return 1;
  }
  const check2 = new Client(cfg);
  await check2.connect();
  let rows;
  try {
    rows = parseInt((await check2.query(`select count(*) as n from ${table}`)).rows[0].n, 10);
  } finally {
    await check2.end();
  }
  const batches = Math.ceil(iterations / BATCH_EVERY);
  if (rows !== clients * batches * ROWS_PER_BATCH) {
    console.log(`FAILED table has ${rows} rows, expected ${clients * batches * ROWS_PER_BATCH}`);
    return 1;
  }
  console.log(`ok ${results.reduce((s, r) => s + r.value, 0)}`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.log(`FAILED ${e && e.stack ? e.stack : e}`);
  process.exitCode = 1;
});
