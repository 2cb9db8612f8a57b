// A webhook receiver that hangs for a while (issue 13): attempts time out and are retried, no
// event is lost or sent with a new webhook-id, and everything is delivered once it answers.
import { describe, it } from 'node:test';
import { FULL, Load, checkInvariants, merchantWithReceiver, payments, report, sleep } from './lib.mjs';

describe('faults: receiver', { skip: !FULL && 'full form only (make test-faults)' }, () => {
    it(`the merchant's receiver hangs for 15 s during ${payments(2000, 300)} payments`, async () => {
        const ctx = await merchantWithReceiver('fhang');
        const load = new Load(ctx.m, { n: payments(2000, 300) });
        const running = load.run();
        await load.reached(load.n / 4);
        ctx.rx.setMode('hang');
        await sleep(15000);
        ctx.rx.setMode('200');
        const faultEnd = Date.now();
        await running;
        const fig = await checkInvariants(ctx, load, faultEnd);
        report('receiver-hang', fig);
        await ctx.rx.close();
    });
});
