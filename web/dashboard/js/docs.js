// The integration guide (SPEC 13.5).

import { h } from './dom.js';
import { state } from './state.js';

export function renderDocs(main) {
    const m = state.session.merchant;
    const key = m.api_key;
    const secretValue = m.api_secret;
    const createOrder = [
        'curl -X POST http://localhost:8000/api/v1/orders \\',
        '  -H "X-Api-Key: ' + key + '" \\',
        '  -H "X-Api-Secret: ' + secretValue + '" \\',
        '  -H "Content-Type: application/json" \\',
        '  -d \'{"amount": 50000, "currency": "INR", "receipt": "receipt_123", "notes": {"customer_name": "John Doe"}}\'',
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
                h('code', { text: key }), '.'),
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
                h('pre', { testid: 'code-snippet-webhook', class: 'code' }, h('code', { text: webhook }))),
            h('section', { testid: 'section-endpoint-verification', class: 'card' },
                h('h2', { text: '4. Webhook endpoints (Standard Webhooks)' }),
                h('p', null, 'Endpoints added on the Webhooks page are signed per Standard Webhooks: ',
                    h('code', { text: 'webhook-id' }), ' (the event id), ', h('code', { text: 'webhook-timestamp' }),
                    ' and ', h('code', { text: 'webhook-signature' }),
                    ' (during a secret rotation it carries two signatures, one per secret). Verify with the official libraries,',
                    ' which also reject old timestamps:'),
                h('pre', { testid: 'code-snippet-endpoint-node', class: 'code' }, h('code', { text: endpointNode })),
                h('pre', { testid: 'code-snippet-endpoint-python', class: 'code' }, h('code', { text: endpointPython })),
                h('p', { text: 'Failed deliveries are retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (±10 %); a 429 or 503 with Retry-After is honoured; a 410 disables the endpoint.' }))));
}
