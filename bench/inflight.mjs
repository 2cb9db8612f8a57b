// bench/inflight.mjs: N payments in flight with the real bank delay (issue "One money path",
// target: every payment final at most 12 s after the last create, with a 5-10 s delay).
//
// Creates N orders and one payment for each through the API (C concurrent clients), notes when
// the last create was answered, then polls PostgreSQL until none of those payments is pending.
// The stack's worker must run with TEST_MODE=false and the 5-10 s delay (bench/run.sh starts it
// so). Prints one line:
//   BENCH_INFLIGHT n=… create_s=… final_after_last_s=… pending_max=… errors=…
//
// Usage: node bench/inflight.mjs --url http://127.0.0.1:38000 --db postgres://… [--n 10000]
//        [--concurrency 64] [--timeout 120]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
    options: {
        url: { type: 'string', default: 'http://127.0.0.1:38000' },
        db: { type: 'string' },
        n: { type: 'string', default: '10000' },
        concurrency: { type: 'string', default: '64' },
        timeout: { type: 'string', default: '120' },
    },
});
const N = Number(opt.n);
const C = Number(opt.concurrency);
const HDRS = {
    'Content-Type': 'application/json',
    'X-Api-Key': process.env.BENCH_API_KEY || 'key_test_abc123',
    'X-Api-Secret': process.env.BENCH_API_SECRET || 'secret_test_xyz789',
};

function psql(sql) {
    return execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', opt.db, '-c', sql], {
        encoding: 'utf8',
    }).trim();
}

async function post(path, body) {
    const r = await fetch(opt.url + path, { method: 'POST', headers: HDRS, body: JSON.stringify(body) });
    const text = await r.text();
    if (r.status !== 201) throw new Error(`${path}: ${r.status} ${text}`);
    return JSON.parse(text);
}

const marker = psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')");
let next = 0;
let errors = 0;
let pendingMax = 0;
const t0 = Date.now();
async function client() {
    while (next < N) {
        next++;
        try {
            const o = await post('/api/v1/orders', { amount: 50000 });
            await post('/api/v1/payments', { order_id: o.id, method: 'upi', vpa: 'bench@okhdfc' });
        } catch (e) {
            errors++;
            if (errors <= 3) console.error(String(e));
        }
    }
}
await Promise.all(Array.from({ length: C }, client));
const tLast = Date.now();
const pendingSql = `SELECT count(*) FROM payments WHERE created_at >= '${marker}' AND status = 'pending'`;
const deadline = tLast + Number(opt.timeout) * 1000;
let pending = Number(psql(pendingSql));
while (pending > 0 && Date.now() < deadline) {
    pendingMax = Math.max(pendingMax, pending);
    await new Promise((res) => setTimeout(res, 100));
    pending = Number(psql(pendingSql));
}
const tFinal = Date.now();
console.log(
    `BENCH_INFLIGHT n=${N} create_s=${((tLast - t0) / 1000).toFixed(1)} ` +
        `final_after_last_s=${pending > 0 ? 'timeout' : ((tFinal - tLast) / 1000).toFixed(1)} ` +
        `pending_max=${pendingMax} errors=${errors}`,
);
