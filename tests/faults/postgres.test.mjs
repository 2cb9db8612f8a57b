// PostgreSQL stopped for 10 s mid-load (issue 13): clean JSON 503s, no 500, nothing lost or
// doubled (clients retry with their Idempotency-Key), every payment final within its delay +
// 10 s after it is back.
import { describe, it } from 'node:test';
import { FULL, Load, checkInvariants, merchantWithReceiver, payments, report, sleep, stack } from './lib.mjs';

describe('faults: postgres', { skip: !FULL && 'full form only (make test-faults)' }, () => {
    it(`PostgreSQL stopped for 10 s during ${payments(4000, 300)} payments`, async () => {
        const ctx = await merchantWithReceiver('fpg');
        const load = new Load(ctx.m, { n: payments(4000, 300), giveUpMs: 180000 });
        const running = load.run();
        await load.reached(load.n / 3);
        await stack('pg-stop');
        await sleep(10000);
        await stack('pg-start');
        const faultEnd = Date.now();
        await running;
        const fig = await checkInvariants(ctx, load, faultEnd);
        report('postgres', fig);
        await ctx.rx.close();
    });
});
