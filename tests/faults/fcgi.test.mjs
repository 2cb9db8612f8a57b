// FastCGI children killed under load (issue 13): nginx answers the cut requests with a JSON 503,
// the master starts new children, clients retrying with their Idempotency-Key never double a
// payment, and a payment committed by a child killed before its Redis push is still settled.
import { describe, it } from 'node:test';
import {
    FULL, Load, checkInvariants, fcgiChildren, merchantWithReceiver, payments, report, sleep,
} from './lib.mjs';

describe('faults: fcgi', { skip: !FULL && 'full form only (make test-faults)' }, () => {
    it(`15 FastCGI children killed during ${payments(4000, 300)} payments`, async () => {
        const ctx = await merchantWithReceiver('ffcgi');
        const load = new Load(ctx.m, { n: payments(4000, 300) });
        const running = load.run();
        await load.reached(Math.min(50, load.n / 4));
        let killed = 0;
        while (killed < 15 && load.done < load.n) {
            const kids = fcgiChildren();
            if (kids.length) {
                try {
                    process.kill(kids[Math.floor(Math.random() * kids.length)], 'SIGKILL');
                    killed++;
                } catch {
                    /* already gone */
                }
            }
            await sleep(400);
        }
        const faultEnd = Date.now();
        await running;
        const fig = await checkInvariants(ctx, load, faultEnd);
        report('fcgi', { killed, ...fig });
        await ctx.rx.close();
    });
});
