// A statement timeout provoked with a lock (issue 13): a session holds an exclusive lock on
// payments for longer than the gateway's statement_timeout; creates answer JSON 503 (never 500),
// nothing is half-written, and everything completes once the lock is gone.
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { DATABASE_URL } from '../lib/db.mjs';
import { FULL, Load, checkInvariants, merchantWithReceiver, payments, report, sleep } from './lib.mjs';

describe('faults: lock', { skip: !FULL && 'full form only (make test-faults)' }, () => {
    it(`payments locked for 8 s during ${payments(2000, 300)} payments`, async () => {
        const ctx = await merchantWithReceiver('flock');
        const load = new Load(ctx.m, { n: payments(2000, 300) });
        const running = load.run();
        await load.reached(load.n / 4);
        const locker = spawn('psql', ['-X', '-q', '-d', DATABASE_URL, '-c',
            'BEGIN; LOCK TABLE payments IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT;'], { stdio: 'ignore' });
        await new Promise((resolve) => locker.once('exit', resolve));
        const faultEnd = Date.now();
        await running;
        const fig = await checkInvariants(ctx, load, faultEnd);
        report('lock', { timeouts503: fig.answers503, ...fig });
        await ctx.rx.close();
        await sleep(0);
    });
});
