// No full card number or CVV anywhere (SPEC 5, 7.5, 17): after card payments (accepted and rejected)
// with distinctive numbers and CVVs, neither appears in the database or in any log file.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, createMerchant, luhnNumber, sleep, utcMonth, validCard } from '../lib/api.mjs';
import { dumpAll, lit, pgDump, sql } from '../lib/db.mjs';
import { STATE_DIR } from '../lib/stack.mjs';

const IP = '10.20.20.20';

function cvv4() {
    // digits 6-9 only: never part of the amounts used here and unlikely elsewhere
    return Array.from(randomBytes(4), (b) => String(6 + (b % 4))).join('');
}

function forms(num) {
    const groups = num.match(/.{1,4}/g);
    return [num, groups.join(' '), groups.join('-')];
}

function listFiles(dir) {
    const out = [];
    if (!fs.existsSync(dir)) return out;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...listFiles(p));
        else if (e.isFile()) out.push(p);
    }
    return out;
}

/* Removes random tokens (ids, uuids, hex ids, timestamps) so a bare CVV search is meaningful. */
function scrub(s) {
    return s
        .replace(/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g, '<uuid>')
        .replace(/\b(order|pay|rfnd|key|secret|whsec)_[A-Za-z0-9_]+/g, '<id>')
        .replace(/[0-9a-f]{32,}/g, '<hex>')
        .replace(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?Z?/g, '<ts>')
        .replace(/\b\d{10,}\b/g, '<int>');
}

describe('no card number or CVV in the database or logs', () => {
    const numbers = [];
    const cvvs = [];
    const requestIds = [];
    let m;

    before(async () => {
        m = await createMerchant('pci');
        const mc = new Client({ ip: IP, key: m.api_key, secret: m.api_secret });
        await mc.put('/api/v1/merchant/webhook', { webhook_url: 'http://127.0.0.1:9/pci' });
        const order = await mc.createOrder({ amount: 50000 });
        const exp = utcMonth(14);
        const mk = (prefix, len = 16) => {
            let n;
            do {
                n = luhnNumber(prefix, len);
            } while (numbers.includes(n) || cvvs.some((c) => n.includes(c)));
            numbers.push(n);
            // a CVV that is part of any card number (its last4 is stored) would be a false alarm
            let v;
            do {
                v = cvv4();
            } while (numbers.some((x) => x.includes(v)) || cvvs.includes(v));
            cvvs.push(v);
            return { n, v };
        };
        const send = async (client, p, body, headers = {}) => {
            const r = await client.post(p, body, { headers, auth: p.includes('public') ? false : undefined });
            requestIds.push(r.headers.get('x-request-id'));
            return r;
        };
        const cases = [
            // accepted: plain, spaced, dashed, integer, public, idempotent
            async () => { const { n, v } = mk('4'); return [201, await send(mc, '/api/v1/payments', { order_id: order.id, method: 'card', card: validCard({ number: n, cvv: v }) })]; },
            async () => { const { n, v } = mk('52'); return [201, await send(mc, '/api/v1/payments', { order_id: order.id, method: 'card', card: validCard({ number: forms(n)[1], cvv: v }) })]; },
            async () => { const { n, v } = mk('37', 15); return [201, await send(mc, '/api/v1/payments', { order_id: order.id, method: 'card', card: validCard({ number: forms(n)[2], cvv: v }) })]; },
            async () => { const { n, v } = mk('65'); return [201, await send(mc, '/api/v1/payments', { order_id: order.id, method: 'card', card: { number: Number(n), expiry_month: exp.month, expiry_year: exp.year, cvv: Number(v), holder_name: 'Int Card' } })]; },
            async () => { const { n, v } = mk('4'); return [201, await send(mc, '/api/v1/payments/public', { order_id: order.id, method: 'card', card: validCard({ number: n, cvv: v }) })]; },
            async () => { const { n, v } = mk('4'); return [201, await send(mc, '/api/v1/payments', { order_id: order.id, method: 'card', card: validCard({ number: n, cvv: v }) }, { 'Idempotency-Key': `pci-${n.slice(-6)}` })]; },
            // rejected after the number was read: expired card, bad cvv, Luhn failure, missing holder
            async () => { const { n, v } = mk('4'); return [400, await send(mc, '/api/v1/payments', { order_id: order.id, method: 'card', card: validCard({ number: n, cvv: v, expiry_year: '2001' }) })]; },
            async () => { const { n } = mk('4'); return [400, await send(mc, '/api/v1/payments', { order_id: order.id, method: 'card', card: validCard({ number: n, cvv: '66' }) })]; },
            async () => { const { n, v } = mk('4'); const bad = n.slice(0, -1) + String((Number(n.slice(-1)) + 1) % 10); numbers.push(bad); return [400, await send(mc, '/api/v1/payments', { order_id: order.id, method: 'card', card: validCard({ number: bad, cvv: v }) })]; },
            async () => { const { n, v } = mk('4'); return [400, await send(mc, '/api/v1/payments', { order_id: order.id, method: 'card', card: validCard({ number: n, cvv: v, holder_name: '' }) })]; },
            async () => { const { n, v } = mk('4'); return [400, await send(mc, '/api/v1/payments/public', { order_id: order.id, method: 'card', card: validCard({ number: n, cvv: v, expiry_month: '13' }) })]; },
        ];
        for (const f of cases) {
            const [want, r] = await f();
            assert.equal(r.status, want, r.text);
        }
        await sleep(1500); // let the worker (if running) settle and log
    });

    it('not in any table (pg_dump --data-only, and COPY of every table)', async () => {
        let dump;
        try {
            dump = await pgDump();
        } catch {
            dump = '';
        }
        dump += await dumpAll();
        assert.ok(dump.length > 1000, 'dump is not empty');
        for (const n of numbers) {
            for (const f of forms(n)) assert.ok(!dump.includes(f), `card number ${f} found in the database`);
        }
        for (const v of cvvs) {
            assert.ok(!new RegExp(`cvv[^0-9A-Za-z]{0,8}${v}`, 'i').test(dump), `CVV ${v} found in the database`);
        }
        // this merchant's rows, scrubbed of random tokens, must not contain a bare CVV
        const mine = await sql(`
            SELECT row_to_json(t)::text FROM payments t WHERE merchant_id = ${lit(m.id)}
            UNION ALL SELECT row_to_json(t)::text FROM idempotency_keys t WHERE merchant_id = ${lit(m.id)}
            UNION ALL SELECT row_to_json(t)::text FROM webhook_logs t WHERE merchant_id = ${lit(m.id)}
            UNION ALL SELECT row_to_json(t)::text FROM orders t WHERE merchant_id = ${lit(m.id)}`);
        const s = scrub(mine);
        assert.ok(mine.includes('card_last4'), 'rows found');
        for (const v of cvvs) assert.ok(!s.includes(v), `CVV ${v} in this merchant's rows`);
    });

    it('not in any log file', async () => {
        const dir = path.join(STATE_DIR, 'log');
        const files = listFiles(dir);
        assert.ok(files.length > 0, `log files under ${dir}`);
        let all = '';
        for (const f of files) all += `${fs.readFileSync(f).toString('latin1')}\n`;
        assert.ok(requestIds.every((id) => all.includes(id)), 'the requests are logged (request ids present)');
        for (const n of numbers) {
            for (const f of forms(n)) assert.ok(!all.includes(f), `card number ${f} found in the logs`);
        }
        for (const v of cvvs) {
            assert.ok(!new RegExp(`cvv[^0-9A-Za-z]{0,8}${v}`, 'i').test(all), `CVV ${v} found in the logs`);
        }
        const lines = all.split('\n').filter((l) => requestIds.some((id) => l.includes(id)));
        assert.ok(lines.length >= requestIds.length);
        const s = scrub(lines.join('\n'));
        for (const v of cvvs) assert.ok(!s.includes(v), `CVV ${v} on a log line of its request`);
        // no secrets either
        assert.ok(!all.includes(m.api_secret), 'API secret in the logs');
        assert.ok(!all.includes('secret_test_xyz789'), 'test API secret in the logs');
    });
});
