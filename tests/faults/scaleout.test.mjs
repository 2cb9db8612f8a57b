// Scale-out, proven (issue 13, point 3): two FastCGI pools on TCP on two loopback addresses (the
// stack's GW_FCGI_POOLS) behind one nginx upstream and three workers side by side, PostgreSQL
// and Redis the only shared state. The load spreads over both pools; one pool is killed mid-load
// (a host lost): nginx fails over to the other, creates already committed stay single, every
// invariant holds. On this 2-core machine the figure is correctness, not speed-up.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { STATE_DIR } from '../lib/stack.mjs';
import {
    ExtraWorker, Load, checkInvariants, payments, report, sleep, stack, waitHealthy, withMerchant } from './lib.mjs';

const POOLS = (process.env.GW_FCGI_POOLS || '').split(/\s+/).filter(Boolean);

/* Requests of this run per upstream address, from nginx's JSON access log. */
function upstreamCounts(fromLine) {
    const lines = readFileSync(path.join(STATE_DIR, 'log', 'nginx-access.log'), 'utf8').split('\n');
    const byAddr = {};
    for (const line of lines.slice(fromLine)) {
        if (!line.includes('"uri":"/api/v1/payments"') && !line.includes('"uri":"/api/v1/orders"')) continue;
        const m = /"upstream_addr":"([^"]*)"/.exec(line);
        if (!m || !m[1]) continue;
        for (const a of m[1].split(/,\s*/)) byAddr[a] = (byAddr[a] || 0) + 1;
    }
    return byAddr;
}

function logLines() {
    return readFileSync(path.join(STATE_DIR, 'log', 'nginx-access.log'), 'utf8').split('\n').length - 1;
}

describe('faults: scale-out', { skip: POOLS.length < 2 && 'needs GW_FCGI_POOLS with two pools' }, () => {
    const workers = [new ExtraWorker(), new ExtraWorker()];
    after(async () => {
        for (const w of workers) await w.stop();
        await stack('api-restart'); /* both pools back for the next scenario */
        await waitHealthy(30000);
    });

    it(`two pools and three workers; pool 2 killed during ${payments(4000, 400)} payments`, async () => {
        await withMerchant('fscale', async (ctx) => {
            for (const w of workers) w.start();
            const from = logLines();
            const load = new Load(ctx.m, { n: payments(4000, 400) });
            const running = load.run();
            await load.reached(load.n / 3);
            const before = upstreamCounts(from);
            for (const a of POOLS) {
                assert.ok((before[a] || 0) > load.done / 10, `pool ${a} served its share before the kill: ${JSON.stringify(before)}`);
            }
            await stack('pool-kill9', '2');
            const faultEnd = Date.now();
            await running;
            await sleep(500);
            const total = upstreamCounts(from);
            const afterKill = (total[POOLS[0]] || 0) - (before[POOLS[0]] || 0);
            assert.ok(afterKill > 0, 'pool 1 served the requests after pool 2 died');
            const fig = await checkInvariants(ctx, load, faultEnd);
            report('scale-out', { pools: POOLS, workers: 3, upstream: total, ...fig });
        });
    });
});
