// prod_helpers.mjs: helpers of the TEST_MODE=false suite (tests/harness/run-all.sh prod).
// fetch cannot choose its source address; these requests can: every 127.0.0.x is loopback, so a
// test can be a client that is not in REAL_IP_FROM (default 127.0.0.1/32 ::1/128).
import http from 'node:http';
import https from 'node:https';

/**
 * One request on a fresh connection from `from` (source address, e.g. '127.0.0.9').
 * Returns {status, headers (lowercased), text, json}.
 */
export function request(url, { method = 'GET', from, headers = {}, json, timeout = 20000 } = {}) {
    const u = new URL(url);
    const body = json === undefined ? undefined : JSON.stringify(json);
    const h = { ...headers };
    if (body !== undefined) {
        h['Content-Type'] = 'application/json';
        h['Content-Length'] = Buffer.byteLength(body);
    }
    const mod = u.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
        const req = mod.request({
            host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h,
            localAddress: from, agent: false, rejectUnauthorized: false, timeout,
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                let parsed;
                try {
                    parsed = JSON.parse(text);
                } catch {
                    parsed = undefined;
                }
                resolve({ status: res.statusCode, headers: res.headers, text, json: parsed });
            });
        });
        req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
        req.on('error', reject);
        if (body !== undefined) req.write(body);
        req.end();
    });
}

/* Runs fn(i) for i in [0, n) with at most `width` in flight; the results in order. */
export async function pool(n, width, fn) {
    const out = new Array(n);
    let next = 0;
    async function lane() {
        while (next < n) {
            const i = next++;
            out[i] = await fn(i);
        }
    }
    await Promise.all(Array.from({ length: Math.min(width, n) }, lane));
    return out;
}

export function countBy(results, status) {
    return results.filter((r) => r.status === status).length;
}
