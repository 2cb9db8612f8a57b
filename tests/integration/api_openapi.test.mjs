// api/openapi.yaml (SPEC 20 v2): the served JSON is the committed api/openapi.json, which is the
// YAML converted (scripts/openapi-json.mjs); the document describes every route of the route
// table and every path of SPEC 5-6, 13.1, 18, 21 and 22; its schemas compile; and the checker
// that tests/lib/api.mjs runs on every answer does reject a wrong answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Client, assertCommonHeaders } from '../lib/api.mjs';
import { checkAnswer, openapiDoc } from '../lib/openapi.mjs';
import { openapiJson } from '../../scripts/openapi-json.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const client = new Client({ ip: '10.66.20.1' });

test('api/openapi.json is api/openapi.yaml converted (run node scripts/openapi-json.mjs)', () => {
    assert.equal(readFileSync(path.join(ROOT, 'api', 'openapi.json'), 'utf8'), openapiJson());
});

test('GET /api/v1/openapi.json: public, the committed bytes, cacheable for 300 s', async () => {
    const r = await client.get('/api/v1/openapi.json', { auth: false });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('cache-control'), 'public, max-age=300');
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
    assert.ok(r.buf.equals(readFileSync(path.join(ROOT, 'api', 'openapi.json'))));
    assert.equal(r.json.openapi, '3.1.0');
    // with a trailing slash too; other methods are 405 like any route
    assert.equal((await client.get('/api/v1/openapi.json/', { auth: false })).status, 200);
    const post = await client.post('/api/v1/openapi.json', {}, { auth: false });
    assert.equal(post.status, 405);
    assertCommonHeaders(post);
});

test('every route of fcgi-app/src/route.c and every SPEC path is described', () => {
    const doc = openapiDoc();
    const table = readFileSync(path.join(ROOT, 'fcgi-app', 'src', 'route.c'), 'utf8');
    const routes = [...table.matchAll(/\{ "(GET|POST|PUT|PATCH|DELETE)",\s+"([^"]+)"/g)].map((m) => [m[1], m[2]]);
    assert.ok(routes.length > 30, 'route table parsed');
    for (const [method, p] of routes) {
        assert.ok(doc.paths[p]?.[method.toLowerCase()], `${method} ${p} is in api/openapi.yaml`);
    }
    const spec = [
        ['get', '/health'], ['get', '/api/v1/health'], ['get', '/metrics'], ['get', '/api/v1/openapi.json'],
        ['get', '/api/v1/test/merchant'], ['get', '/api/v1/test/jobs/status'],
        ['post', '/api/v1/orders'], ['get', '/api/v1/orders'], ['get', '/api/v1/orders/{order_id}'],
        ['get', '/api/v1/orders/{order_id}/public'], ['post', '/api/v1/payments'], ['get', '/api/v1/payments'],
        ['get', '/api/v1/payments/list'], ['get', '/api/v1/payments/stats'], ['get', '/api/v1/payments/export.csv'],
        ['post', '/api/v1/payments/public'], ['get', '/api/v1/payments/public/{payment_id}'],
        ['get', '/api/v1/payments/{payment_id}/public'], ['get', '/api/v1/payments/{payment_id}'],
        ['post', '/api/v1/payments/{payment_id}/capture'], ['post', '/api/v1/payments/{payment_id}/refunds'],
        ['get', '/api/v1/payments/{payment_id}/refunds'], ['get', '/api/v1/refunds/{refund_id}'],
        ['get', '/api/v1/webhooks'], ['get', '/api/v1/webhooks/{webhook_id}'], ['post', '/api/v1/webhooks/{webhook_id}/retry'],
        ['get', '/api/v1/merchant'], ['put', '/api/v1/merchant/webhook'], ['post', '/api/v1/merchant/webhook/secret'],
        ['post', '/api/v1/merchant/webhook/test'], ['post', '/api/v1/dashboard/login'], ['get', '/api/v1/dashboard/config'],
        ['get', '/api/v1/dashboard/session'], ['post', '/api/v1/dashboard/logout'],
        // SPEC 21
        ['get', '/api/v1/events'], ['get', '/api/v1/events/{event_id}'], ['post', '/api/v1/events/{event_id}/resend'],
        ['post', '/api/v1/webhook_endpoints'], ['get', '/api/v1/webhook_endpoints'],
        ['get', '/api/v1/webhook_endpoints/{endpoint_id}'], ['patch', '/api/v1/webhook_endpoints/{endpoint_id}'],
        ['delete', '/api/v1/webhook_endpoints/{endpoint_id}'], ['post', '/api/v1/webhook_endpoints/{endpoint_id}/rotate_secret'],
        ['post', '/api/v1/webhook_endpoints/{endpoint_id}/recover'], ['get', '/api/v1/webhook_endpoints/{endpoint_id}/attempts'],
        // SPEC 22
        ['post', '/api/v1/payments/public/{payment_id}/3ds'],
    ];
    for (const [m, p] of spec) assert.ok(doc.paths[p]?.[m], `${m.toUpperCase()} ${p} is in api/openapi.yaml`);
    assert.ok(doc.webhooks?.legacyEvent && doc.webhooks?.endpointEvent, 'webhook payloads');
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['apiKey', 'apiSecret', 'csrf', 'session']);
});

test('the schemas compile and every error example is the SPEC 4.3 envelope', () => {
    const doc = openapiDoc();
    const ajv = new Ajv2020({ strict: false, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(doc, 'openapi');
    for (const name of Object.keys(doc.components.schemas)) {
        ajv.compile({ $ref: `openapi#/components/schemas/${name}` });
    }
    const error = ajv.compile({ $ref: 'openapi#/components/schemas/Error' });
    let n = 0;
    const visit = (o) => {
        if (!o || typeof o !== 'object') return;
        for (const [k, v] of Object.entries(o)) {
            if ((k === 'example' && v?.error) || (k === 'examples' && v && typeof v === 'object')) {
                const values = k === 'example' ? [v] : Object.values(v).map((e) => e.value).filter((x) => x?.error);
                for (const x of values) {
                    assert.ok(error(x), JSON.stringify(x));
                    n += 1;
                }
            }
            visit(v);
        }
    };
    visit(doc);
    assert.ok(n > 20, `${n} error examples`);
});

test('the answer checker rejects answers that differ from the document', () => {
    const pay = {
        id: 'pay_AAAAAAAAAAAAAAAA', order_id: 'order_AAAAAAAAAAAAAAAA', amount: 50000, currency: 'INR', method: 'upi',
        vpa: 'a@b', status: 'pending', captured: false, created_at: '2024-01-15T10:31:00Z', updated_at: '2024-01-15T10:31:00Z',
    };
    const ct = 'application/json';
    assert.equal(checkAnswer('GET', `/api/v1/payments/${pay.id}`, 200, ct, pay), null);
    assert.match(checkAnswer('GET', `/api/v1/payments/${pay.id}`, 200, ct, { ...pay, extra: 1 }), /does not match/);
    const { vpa, ...noVpa } = pay;
    assert.ok(vpa);
    assert.match(checkAnswer('GET', `/api/v1/payments/${pay.id}`, 200, ct, noVpa), /vpa/);
    assert.match(checkAnswer('GET', `/api/v1/payments/${pay.id}`, 200, ct, { ...pay, status: 'failed' }), /error_code/);
    assert.match(checkAnswer('GET', '/api/v1/payments/stats', 201, ct, {}), /status 201 not described/);
    assert.match(checkAnswer('GET', '/api/v1/nothing', 200, ct, {}), /not described/);
    assert.match(checkAnswer('GET', '/api/v1/nothing', 404, ct, { error: { code: 'NOT_FOUND_ERROR' } }), /error envelope/);
    assert.equal(checkAnswer('GET', '/api/v1/nothing', 404, ct, { error: { code: 'NOT_FOUND_ERROR', description: 'Route not found' } }), null);
    assert.match(checkAnswer('GET', '/api/v1/payments/export.csv', 200, ct, {}), /document says text\/csv/);
});
