// kill -9 of two workers side by side, again and again, while payments are created (issue 13):
// nothing lost, nothing doubled, every payment final within its delay + 10 s after the last kill.
import { after, describe, it } from 'node:test';
import {
    ExtraWorker, FULL, Load, checkInvariants, payments, report, sleep, stack, waitHealthy, withMerchant } from './lib.mjs';

/* Full form only: in make test, fanout.test.mjs kills two workers side by side the same way (and
 * restarts Redis) while it checks the legacy endpoint with these invariants and 4 endpoints more. */
describe('faults: workers', { skip: !FULL && 'full form only (make test-faults); fan-out covers it in make test' }, () => {
    const extra = new ExtraWorker();
    after(async () => {
        await extra.stop();
    });

    it(`kill -9 of two workers ${FULL ? 20 : 6} times during ${payments(4000, 300)} payments`, async () => {
        await withMerchant('fworkers', async (ctx) => {
            extra.start();
            const load = new Load(ctx.m, { n: payments(4000, 300) });
            const running = load.run();
            const kills = FULL ? 20 : 6;
            await load.reached(Math.min(50, load.n / 4));
            for (let k = 0; k < kills; k++) {
                if (k % 2 === 0) {
                    await stack('worker-kill9'); /* its supervisor starts a new one */
                } else {
                    await extra.kill9();
                    extra.start();
                }
                await sleep(FULL ? 1500 : 800);
            }
            const faultEnd = Date.now();
            await running;
            await waitHealthy(30000, (h) => h?.json?.worker === 'running');
            const fig = await checkInvariants(ctx, load, faultEnd);
            report('workers', { kills, ...fig });
        });
    });
});
