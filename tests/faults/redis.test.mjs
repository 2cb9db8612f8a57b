// Redis killed and restarted empty mid-load (issue 13, SPEC 19): the API answers JSON 503s while
// it is down, work is re-driven from PostgreSQL, every payment final within its delay + 10 s
// after Redis is back.
import { describe, it } from 'node:test';
import { FULL, Load, checkInvariants, merchantWithReceiver, payments, report, sleep, stack } from './lib.mjs';

describe('faults: redis', () => {
    it(`Redis stopped and restarted empty during ${payments(4000, 300)} payments`, async () => {
        const ctx = await merchantWithReceiver('fredis');
        const load = new Load(ctx.m, { n: payments(4000, 300) });
        const running = load.run();
        await load.reached(load.n / 3);
        await stack('redis-stop');
        await sleep(FULL ? 5000 : 2000);
        await stack('redis-start');
        const faultEnd = Date.now();
        await running;
        const fig = await checkInvariants(ctx, load, faultEnd);
        report('redis', fig);
        await ctx.rx.close();
    });
});
