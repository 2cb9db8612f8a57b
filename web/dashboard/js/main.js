// Merchant dashboard: a small single-page app (SPEC 13) made of plain ES modules, one per page
// (no build step). No inline scripts (the CSP forbids them); all API data is rendered with
// textContent. The session lives in an HttpOnly cookie; the CSRF token and the merchant are kept
// in memory only.

import { api } from './api.js';
import { renderDocs } from './docs.js';
import { renderHome } from './home.js';
import { renderLogin } from './login.js';
import { route, setRoutes } from './router.js';
import { state } from './state.js';
import { renderTransactions } from './transactions.js';
import { renderWebhooks } from './webhooks.js';

setRoutes({
    '/dashboard': { title: 'Overview', render: renderHome },
    '/dashboard/transactions': { title: 'Transactions', render: renderTransactions },
    '/dashboard/webhooks': { title: 'Webhooks', render: renderWebhooks },
    '/dashboard/docs': { title: 'Integration Guide', render: renderDocs },
}, [
    ['/dashboard', 'Overview'],
    ['/dashboard/transactions', 'Transactions'],
    ['/dashboard/webhooks', 'Webhooks'],
    ['/dashboard/docs', 'Docs'],
], renderLogin);

async function boot() {
    try {
        const s = await api('GET', '/api/v1/dashboard/session', undefined, { allow401: true });
        state.session = { merchant: s.merchant, csrf_token: s.csrf_token };
    } catch (e) {
        state.session = null;
    }
    window.addEventListener('popstate', route);
    route();
}

boot();
