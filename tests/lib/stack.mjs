// stack.mjs: control of the test stack through $GW_STACK and waiting for /health.
import { execFile } from 'node:child_process';
import { API_URL, sleep } from './api.mjs';

export const STACK = process.env.GW_STACK || 'tests/harness/stack.sh';
export const STATE_DIR = process.env.GW_STATE_DIR || 'var/test';

export function stack(cmd, ...args) {
    return new Promise((resolve, reject) => {
        execFile(STACK, [cmd, ...args], { maxBuffer: 16 << 20, timeout: 120000 }, (err, stdout, stderr) => {
            if (err) {
                err.message += `\n${stdout}\n${stderr}`;
                reject(err);
            } else resolve(stdout);
        });
    });
}

export async function health(ip) {
    const headers = ip ? { 'X-Forwarded-For': ip } : {};
    const t0 = Date.now();
    const res = await fetch(`${API_URL}/health`, { headers, signal: AbortSignal.timeout(10000) });
    const text = await res.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers, ms: Date.now() - t0 };
}

/* /health with database and redis connected, and `status` consistent with the worker field. */
export function isHealthy(h) {
    if (!h || h.status !== 200 || !h.json) return false;
    const j = h.json;
    return j.database === 'connected' && j.redis === 'connected' &&
        j.status === (j.worker === 'running' ? 'healthy' : 'degraded');
}

export async function waitHealthy(timeoutMs = 30000, pred = isHealthy) {
    const end = Date.now() + timeoutMs;
    let last;
    while (Date.now() < end) {
        try {
            last = await health();
            if (pred(last)) return last;
        } catch (e) {
            last = { error: String(e) };
        }
        await sleep(250);
    }
    throw new Error(`stack not healthy within ${timeoutMs} ms: ${JSON.stringify(last?.json ?? last)}`);
}

/* Poll fn() until it returns a truthy value. */
export async function waitFor(fn, timeoutMs = 30000, stepMs = 250) {
    const end = Date.now() + timeoutMs;
    let last;
    while (Date.now() < end) {
        try {
            last = await fn();
            if (last) return last;
        } catch (e) {
            last = undefined;
        }
        await sleep(stepMs);
    }
    return last;
}
