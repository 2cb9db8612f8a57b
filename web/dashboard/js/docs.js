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
                h('pre', { testid: 'code-snippet-webhook', class: 'code' }, h('code', { text: webhook })))));
}
