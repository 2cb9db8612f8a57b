// The integration guide (SPEC 13.5) and the API reference: api/openapi.yaml as served at
// GET /api/v1/openapi.json, rendered by swagger-ui-dist (from node_modules, served by nginx like
// Chart.js; loaded only on this page). The snippets use the page's own origin, so they work
// as shown on whatever host and port this dashboard is reached; the secret is read from the
// environment rather than printed (it is shown masked on the overview page).

import { h } from './dom.js';
import { state } from './state.js';

const SWAGGER_JS = '/static/dashboard/vendor/swagger-ui/swagger-ui-bundle.js';
const SWAGGER_CSS = '/static/dashboard/vendor/swagger-ui/swagger-ui.css';

function curl(method, path, body, extra = []) {
    const lines = ['curl -X ' + method + ' ' + location.origin + path + ' \\',
        '  -H "X-Api-Key: $GATEWAY_API_KEY" \\',
        '  -H "X-Api-Secret: $GATEWAY_API_SECRET"' + (body || extra.length ? ' \\' : '')];
    extra.forEach((e, i) => lines.push('  ' + e + (body || i < extra.length - 1 ? ' \\' : '')));
    if (body) {
        lines.push('  -H "Content-Type: application/json" \\', "  -d '" + body + "'");
    }
    return lines.join('\n');
}

function section(testid, title, intro, snippetId, code) {
    return h('section', { testid, class: 'card' },
        h('h2', { text: title }),
        typeof intro === 'string' ? h('p', { text: intro }) : intro,
        h('pre', { testid: snippetId, class: 'code' }, h('code', { text: code })));
}

export function renderDocs(main, alive) {
    const m = state.session.merchant;
    const key = m.api_key;
    const env = ['export GATEWAY_API_KEY=' + key, 'export GATEWAY_API_SECRET=<your API secret (Overview page)>'].join('\n');
    const createOrder = [
        'curl -X POST ' + location.origin + '/api/v1/orders \\',
        '  -H "X-Api-Key: ' + key + '" \\',
        '  -H "X-Api-Secret: $GATEWAY_API_SECRET" \\',
        '  -H "Content-Type: application/json" \\',
        '  -d \'{"amount": 50000, "currency": "INR", "receipt": "receipt_123", "notes": {"customer_name": "John Doe"}}\'',
    ].join('\n');
    const payments = [
        '# A UPI payment for the order (your server; the hosted checkout does this for shoppers)',
        curl('POST', '/api/v1/payments', '{"order_id": "order_xyz", "method": "upi", "vpa": "success@upi"}',
            ['-H "Idempotency-Key: checkout-order_xyz-1"']),
        '',
        '# Its status: pending, then success or failed (or requires_action for 3-D Secure)',
        curl('GET', '/api/v1/payments/pay_xyz'),
        '',
        '# Capture a successful payment',
        curl('POST', '/api/v1/payments/pay_xyz/capture', '{}'),
    ].join('\n');
    const refunds = [
        '# Refund part (or all) of a successful payment; refunds are processed in a few seconds',
        curl('POST', '/api/v1/payments/pay_xyz/refunds', '{"amount": 10000, "reason": "Customer requested refund"}',
            ['-H "Idempotency-Key: refund-pay_xyz-1"']),
        '',
        curl('GET', '/api/v1/refunds/rfnd_xyz'),
    ].join('\n');
    const idempotency = [
        '# Send the same Idempotency-Key when you retry a POST after a timeout or a network error:',
        '# the gateway answers the first result again (Idempotent-Replayed: true) instead of',
        '# creating a second payment. Keys live 24 h, per merchant; another body with the same key',
        '# is a 400 "Idempotency-Key reused with a different request".',
        curl('POST', '/api/v1/orders', '{"amount": 50000}', ['-H "Idempotency-Key: order-receipt_123"']),
    ].join('\n');
    const sdk = [
        '<script src="http://localhost:3001/checkout.js"></script>',
        '<script>',
        '  new PaymentGateway({',
        "    key: '" + key + "',",
        "    orderId: 'order_xyz',",
        '    onSuccess(response) {',
        "      console.log('Payment ID:', response.paymentId);",
        '    },',
        '    onFailure(error) {',
        "      console.log('Payment failed:', error.errorDescription);",
        '    },',
        '    onClose() {',
        "      console.log('Checkout closed');",
        '    },',
        '  }).open();',
        '</script>',
    ].join('\n');
    const standard = [
        "// Webhook endpoints (Standard Webhooks 1.0): verify with the official library",
        "import { Webhook } from 'standardwebhooks';",
        '',
        "const wh = new Webhook(process.env.ENDPOINT_SECRET); // whsec_… shown once when the endpoint is created",
        "app.post('/hooks', express.raw({ type: 'application/json' }), (req, res) => {",
        '  let event;',
        '  try {',
        '    event = wh.verify(req.body, req.headers); // webhook-id, webhook-timestamp, webhook-signature',
        '  } catch (e) {',
        '    return res.status(401).end();',
        '  }',
        "  // webhook-id is the event id: ignore one you have already processed",
        '  res.status(200).end();',
        '});',
    ].join('\n');
    const webhook = [
        "const crypto = require('crypto');",
        '',
        '// rawBody: the exact bytes of the request body (a Buffer), before any JSON parsing.',
        'function verifyWebhook(rawBody, signatureHeader, webhookSecret) {',
        '  const expected = crypto',
        "    .createHmac('sha256', webhookSecret)",
        '    .update(rawBody)',
        "    .digest('hex');",
        "  const received = Buffer.from(String(signatureHeader || ''), 'utf8');",
        "  const wanted = Buffer.from(expected, 'utf8');",
        '  return received.length === wanted.length && crypto.timingSafeEqual(received, wanted);',
        '}',
        '',
        '// Express example',
        "app.post('/webhook', express.raw({ type: 'application/json' }), (req, res) => {",
        "  if (!verifyWebhook(req.body, req.get('X-Webhook-Signature'), process.env.WEBHOOK_SECRET)) {",
        '    return res.status(401).end();',
        '  }',
        '  const event = JSON.parse(req.body);',
        "  console.log('Received', event.event);",
        '  res.status(200).end();',
        '});',
    ].join('\n');
    // SPEC 22: the sandbox bank's test values (card number or VPA, outcome, error_code).
    const testValues = [
        ['4242424242424242, 5555555555554444, success@upi', 'success', ''],
        ['4000000000000002', 'failed', 'CARD_DECLINED: Declined by the bank'],
        ['failure@upi', 'failed', 'UPI_DECLINED: Declined by the bank'],
        ['4000000000009995', 'failed', 'INSUFFICIENT_FUNDS: Insufficient funds'],
        ['4000000000000069', 'failed', 'EXPIRED_CARD: Card expired'],
        ['4000000000000127', 'failed', 'INCORRECT_CVC: Incorrect CVC'],
        ['4000000000000119', 'failed', 'PROCESSING_ERROR: The bank could not process the payment'],
        ['4000000000003220', 'requires_action: 3-D Secure challenge; approve -> success, deny or 15 min -> failed',
            'AUTHENTICATION_FAILED: 3-D Secure authentication failed'],
        ['4000000000000259, timeout@upi', 'no answer (stays pending); the re-query succeeds', ''],
        ['4000000000000267', 'no answer, then failed on re-query', 'PROCESSING_ERROR: The bank could not process the payment'],
    ];
    const testTable = h('table', { testid: 'test-values-table', class: 'table' },
        h('thead', null, h('tr', null, h('th', { text: 'Card number / VPA' }), h('th', { text: 'Outcome' }),
            h('th', { text: 'error_code' }))),
        h('tbody', null, testValues.map(([value, outcome, code]) => h('tr', { testid: 'test-value-row' },
            h('td', { class: 'mono', text: value }), h('td', { text: outcome }), h('td', { class: 'mono', text: code })))));
    // SPEC 21.3: endpoint deliveries follow Standard Webhooks 1.0; the official libraries verify
    // the signature and reject a timestamp more than five minutes away.
    const endpointNode = [
        "// npm install standardwebhooks",
        "const { Webhook } = require('standardwebhooks');",
        '',
        '// The endpoint\'s secret (whsec_…), shown once when you add or rotate the endpoint.',
        'const wh = new Webhook(process.env.ENDPOINT_SECRET);',
        '',
        "app.post('/hooks', express.raw({ type: 'application/json' }), (req, res) => {",
        '  let event;',
        '  try {',
        '    // checks webhook-signature over webhook-id.webhook-timestamp.body and the timestamp',
        "    event = wh.verify(req.body, req.headers);",
        '  } catch (err) {',
        '    return res.status(400).end();',
        '  }',
        "  // webhook-id is the event id: the same on every retry and resend, so de-duplicate on it",
        "  if (alreadyHandled(req.get('webhook-id'))) return res.status(200).end();",
        "  console.log('Received', event.event);",
        '  res.status(200).end();',
        '});',
    ].join('\n');
    const endpointPython = [
        '# pip install standardwebhooks',
        'from standardwebhooks.webhooks import Webhook',
        '',
        'wh = Webhook(os.environ["ENDPOINT_SECRET"])',
        '',
        '@app.post("/hooks")',
        'def hooks():',
        '    # raises on a bad signature or a timestamp too far from now',
        '    event = wh.verify(request.get_data(), request.headers)',
        '    return "", 200',
    ].join('\n');
    main.append(
        h('div', { testid: 'api-docs', class: 'docs' },
            h('h1', { class: 'page-title', text: 'Integration Guide' }),
            h('p', { class: 'muted' },
                'Signed in as ', h('strong', { text: m.email }), '. The snippets use your API key ',
                h('code', { text: key }), ' and this gateway\'s address ', h('code', { testid: 'docs-origin', text: location.origin }),
                '; the API secret is read from ', h('code', { text: '$GATEWAY_API_SECRET' }), '.'),
            h('pre', { class: 'code', testid: 'code-snippet-env' }, h('code', { text: env })),
            h('section', { testid: 'section-create-order', class: 'card' },
                h('h2', { text: '1. Create an order' }),
                h('p', { text: 'Create an order from your server with your API key and secret. Amounts are in paise.' }),
                h('pre', { testid: 'code-snippet-create-order', class: 'code' }, h('code', { text: createOrder }))),
            h('section', { testid: 'section-sdk-integration', class: 'card' },
                h('h2', { text: '2. Open the checkout with the SDK' }),
                h('p', { text: 'Load checkout.js on your page and open the payment modal for the order.' }),
                h('pre', { testid: 'code-snippet-sdk', class: 'code' }, h('code', { text: sdk }))),
            h('section', { testid: 'section-webhook-verification', class: 'card' },
                h('h2', { text: '3. Verify webhook signatures' }),
                h('p', null, 'Every webhook carries ', h('code', { text: 'X-Webhook-Signature' }),
                    ': the hex HMAC-SHA256 of the raw body, keyed with your webhook secret.'),
                h('pre', { testid: 'code-snippet-webhook', class: 'code' }, h('code', { text: webhook })),
                h('p', { text: 'Webhook endpoints (Webhooks page) are signed per Standard Webhooks instead:' }),
                h('pre', { testid: 'code-snippet-standard-webhooks', class: 'code' }, h('code', { text: standard }))),
            section('section-payments', '4. Payments', 'Create, follow and capture payments from your server.',
                'code-snippet-payments', payments),
            section('section-refunds', '5. Refunds', 'Refund a successful payment in full or in part; the total never exceeds the payment.',
                'code-snippet-refunds', refunds),
            section('section-idempotency', '6. Idempotency', 'Safe retries of POST /api/v1/orders, /payments, /refunds and /capture.',
                'code-snippet-idempotency', idempotency),
            h('section', { testid: 'section-endpoint-verification', class: 'card' },
                h('h2', { text: '7. Webhook endpoints (Standard Webhooks)' }),
                h('p', null, 'Endpoints added on the Webhooks page are signed per Standard Webhooks: ',
                    h('code', { text: 'webhook-id' }), ' (the event id), ', h('code', { text: 'webhook-timestamp' }),
                    ' and ', h('code', { text: 'webhook-signature' }),
                    ' (during a secret rotation it carries two signatures, one per secret). Verify with the official libraries,',
                    ' which also reject old timestamps:'),
                h('pre', { testid: 'code-snippet-endpoint-node', class: 'code' }, h('code', { text: endpointNode })),
                h('pre', { testid: 'code-snippet-endpoint-python', class: 'code' }, h('code', { text: endpointPython })),
                h('p', { text: 'Failed deliveries are retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (±10 %); a 429 or 503 with Retry-After is honoured; a 410 disables the endpoint.' })),
            h('section', { testid: 'section-test-values', class: 'card' },
                h('h2', { text: '8. Test cards and VPAs' }),
                h('p', { text: 'The sandbox bank answers these values the same way every time, whatever the test '
                    + 'mode settings: use them to reach every branch of your integration. Any future expiry and any '
                    + 'CVV work; every other valid number behaves as usual.' }),
                h('div', { class: 'table-wrap' }, testTable)),
            h('section', { testid: 'section-api-reference', class: 'card' },
                h('h2', { text: 'API reference' }),
                h('p', null, 'Every endpoint, field and error of ', h('a', { href: '/api/v1/openapi.json', text: '/api/v1/openapi.json' }),
                    ' (OpenAPI 3.1). "Try it out" calls this gateway as you, signed in.'),
                h('div', { testid: 'api-reference', class: 'api-reference' }, h('p', { class: 'muted', text: 'Loading the API reference…' })))));
    loadSwagger(alive);
}

function loadScript(src) {
    return new Promise((resolve, reject) => {
        if (window.SwaggerUIBundle) {
            resolve();
            return;
        }
        const s = h('script', { src });
        s.addEventListener('load', () => resolve());
        s.addEventListener('error', () => reject(new Error('the API reference could not be loaded')));
        document.head.append(s);
    });
}

function loadSwagger(alive) {
    if (!document.querySelector('link[href="' + SWAGGER_CSS + '"]')) {
        document.head.append(h('link', { rel: 'stylesheet', href: SWAGGER_CSS }));
    }
    loadScript(SWAGGER_JS).then(() => {
        const el = document.querySelector('[data-test-id="api-reference"]');
        if (!alive() || !el) {
            return;
        }
        el.textContent = '';
        window.SwaggerUIBundle({
            url: '/api/v1/openapi.json',
            domNode: el,
            deepLinking: false,
            docExpansion: 'none',
            defaultModelsExpandDepth: 0,
            // "Try it out" runs as the signed-in merchant: the session cookie plus the CSRF token.
            requestInterceptor: (req) => {
                if (state.session && req.method && req.method.toUpperCase() !== 'GET') {
                    req.headers['X-CSRF-Token'] = state.session.csrf_token;
                }
                return req;
            },
            onComplete: () => el.setAttribute('data-ready', 'true'),
        });
    }).catch((e) => {
        const el = document.querySelector('[data-test-id="api-reference"]');
        if (el) {
            el.textContent = e.message;
        }
    });
}
