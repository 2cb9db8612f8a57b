// Shared helpers of the browser end-to-end suites: the environment given by
// tests/harness/run-all.sh (docs/internals.md), API calls, operator commands,
// local HTTP servers and the Debian chromium driven by playwright-core.

import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

function need(name) {
    const v = process.env[name];
    if (!v) {
        throw new Error(`${name} is not set: run the suites through tests/harness/run-all.sh e2e`);
    }
    return v.replace(/\/+$/, '');
}

export const env = {
    get api() {
        return need('GW_API_URL');
    },
    get dashboard() {
        return need('GW_DASHBOARD_URL');
    },
    get checkout() {
        return need('GW_CHECKOUT_URL');
    },
    get tls() {
        return need('GW_TLS_URL');
    },
    get binDir() {
        return need('GW_BIN_DIR');
    },
    get stack() {
        return need('GW_STACK');
    },
    get databaseUrl() {
        return need('DATABASE_URL');
    },
};

export const TEST_MERCHANT = {
    id: '550e8400-e29b-41d4-a716-446655440000',
    email: process.env.TEST_MERCHANT_EMAIL || 'test@example.com',
    api_key: process.env.TEST_API_KEY || 'key_test_abc123',
    api_secret: process.env.TEST_API_SECRET || 'secret_test_xyz789',
};

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/* The README's screenshots are refreshed only on request (GW_UPDATE_SCREENSHOTS=1): an ordinary
 * run writes its screenshots under var/ and leaves the checkout clean. */
export const SCREENSHOT_DIR = process.env.GW_UPDATE_SCREENSHOTS === '1'
    ? path.join(REPO_ROOT, 'docs', 'screenshots') : path.join(REPO_ROOT, 'var', 'screenshots');

export function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls fn until it returns a truthy value; throws with the last value/error on timeout.
export async function waitUntil(fn, { timeout = 20000, interval = 250, what = 'condition' } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
        try {
            last = await fn();
            if (last) {
                return last;
            }
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeout} ms waiting for ${what}; last: ${last instanceof Error ? last.stack : JSON.stringify(last)}`);
        }
        await sleep(interval);
    }
}

// ---- API ----------------------------------------------------------------------------------------

// Each suite passes its own X-Forwarded-For address (docs/internals.md) so the
// per-address rate limit is per suite.
export function makeApi(forwardedFor) {
    async function call(method, p, { body, creds, headers = {} } = {}) {
        const h = { 'X-Forwarded-For': forwardedFor, ...headers };
        if (creds) {
            h['X-Api-Key'] = creds.api_key;
            h['X-Api-Secret'] = creds.api_secret;
        }
        if (body !== undefined) {
            h['Content-Type'] = 'application/json';
        }
        const res = await fetch(env.api + p, {
            method,
            headers: h,
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(15000),
        });
        const text = await res.text();
        let json = null;
        try {
            json = text ? JSON.parse(text) : null;
        } catch (e) {
            json = null;
        }
        return { status: res.status, headers: res.headers, text, json };
    }

    async function ok(method, p, opts, expected = [200, 201, 202]) {
        const r = await call(method, p, opts);
        if (!expected.includes(r.status)) {
            throw new Error(`${method} ${p} -> ${r.status} ${r.text}`);
        }
        return r.json;
    }

    return {
        call,
        ok,
        createOrder(creds, amount, extra = {}) {
            return ok('POST', '/api/v1/orders', { creds, body: { amount, currency: 'INR', ...extra } });
        },
        createPayment(creds, orderId, method = 'upi') {
            const body = method === 'upi'
                ? { order_id: orderId, method: 'upi', vpa: 'e2e.user@okbank' }
                : {
                    order_id: orderId,
                    method: 'card',
                    card: { number: '4111111111111111', expiry_month: '12', expiry_year: '2035', cvv: '123', holder_name: 'E2E Tester' },
                };
            return ok('POST', '/api/v1/payments', { creds, body });
        },
        async waitFinal(creds, paymentId, timeout = 30000) {
            return waitUntil(async () => {
                const p = await ok('GET', `/api/v1/payments/${paymentId}`, { creds });
                return p.status !== 'pending' ? p : null;
            }, { timeout, interval: 300, what: `payment ${paymentId} to leave pending` });
        },
        stats(creds) {
            return ok('GET', '/api/v1/payments/stats', { creds });
        },
        merchant(creds) {
            return ok('GET', '/api/v1/merchant', { creds });
        },
    };
}

// ---- operator commands --------------------------------------------------------------------------

export function run(file, args, { input, timeout = 60000 } = {}) {
    return new Promise((resolve, reject) => {
        const child = execFile(file, args, { timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            if (err) {
                err.message += `\nstdout: ${stdout}\nstderr: ${stderr}`;
                reject(err);
                return;
            }
            resolve(stdout);
        });
        if (input !== undefined) {
            child.stdin.end(input);
        }
    });
}

let merchantSeq = 0;

// A fresh merchant created by the operator CLI (SPEC 16); returns the CLI's
// JSON plus the password it was created with.
export async function createMerchant(label) {
    merchantSeq += 1;
    const tag = `${label}-${process.pid}-${Date.now()}-${merchantSeq}`;
    const password = `pw-${tag}-Secret1`;
    const email = `e2e-${tag}@example.com`.toLowerCase();
    const out = await run(path.join(env.binDir, 'gatewayctl'),
        ['merchant', 'create', '--name', `E2E ${label}`, '--email', email, '--password-stdin'],
        { input: password + '\n' });
    const m = JSON.parse(out);
    return { ...m, password };
}

export function stack(cmd, ...overrides) {
    return run(env.stack, [cmd, ...overrides], { timeout: 120000 });
}

// Runs fn with the worker restarted under overrides, and always restores the
// stack's own worker afterwards.
export async function withWorker(overrides, fn) {
    await stack('worker-stop');
    await stack('worker-start', ...overrides);
    try {
        return await fn();
    } finally {
        await stack('worker-stop');
        await stack('worker-start');
    }
}

export function psql(sql) {
    return run('psql', [env.databaseUrl, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql]);
}

// ---- local HTTP servers -------------------------------------------------------------------------

// An HTTP server on 127.0.0.1 with a random port.
export async function startServer(handler) {
    const sockets = new Set();
    const server = http.createServer(handler);
    server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address();
    return {
        port,
        origin: `http://127.0.0.1:${port}`,
        close() {
            for (const s of sockets) {
                s.destroy();
            }
            return new Promise((resolve) => server.close(() => resolve()));
        },
    };
}

export function readBody(req) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
    });
}

// ---- browser ------------------------------------------------------------------------------------

export const CHROMIUM_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
];

// Debian's chromium (no browser download). playwright-core's launch() gives
// every browser a fresh temporary user-data dir and deletes it on close().
export function launchBrowser() {
    return chromium.launch({
        executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
        headless: true,
        args: CHROMIUM_ARGS,
        timeout: 60000,
    });
}

// A new context + page with default timeouts and page errors collected.
export async function newPage(browser, options = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...options });
    context.setDefaultTimeout(20000);
    const page = await context.newPage();
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(String(e)));
    return { context, page };
}

export async function screenshot(page, name) {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: false });
}

export const sel = (id) => `[data-test-id="${id}"]`;

export async function text(page, id) {
    return (await page.locator(sel(id)).first().textContent()).trim();
}

export async function loginUi(page, email, password, { next } = {}) {
    const url = env.dashboard + '/login' + (next ? `?next=${encodeURIComponent(next)}` : '');
    await page.goto(url);
    await page.locator(sel('login-form')).waitFor();
    await page.fill(sel('email-input'), email);
    await page.fill(sel('password-input'), password);
    await page.click(sel('login-button'));
}

export async function login(page, email, password) {
    await loginUi(page, email, password);
    await page.waitForURL((u) => new URL(u).pathname === '/dashboard');
    await page.locator(sel('dashboard')).waitFor();
}
