// The login page (SPEC 13.1).

import { api } from './api.js';
import { clear, h } from './dom.js';
import { navigate, safeNext } from './router.js';
import { appRoot, state } from './state.js';

export function renderLogin() {
    clear(appRoot);
    const params = new URLSearchParams(location.search);
    const next = params.get('next');
    const err = h('div', { class: 'alert alert-error', testid: 'login-error', role: 'alert', hidden: true });
    const email = h('input', {
        id: 'email',
        type: 'email',
        name: 'email',
        testid: 'email-input',
        autocomplete: 'username',
        placeholder: 'you@example.com',
        required: true,
    });
    const password = h('input', {
        id: 'password',
        type: 'password',
        name: 'password',
        testid: 'password-input',
        autocomplete: 'current-password',
        placeholder: 'Password',
    });
    const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-button' }, 'Login');
    const hint = h('p', { class: 'hint', testid: 'login-hint', hidden: true },
        'Test mode: the test merchant ', h('code', null, 'test@example.com'),
        ' signs in with any password. Merchants created by an operator always need their password.');
    const form = h('form', { testid: 'login-form', class: 'login-form', novalidate: true },
        h('label', { for: 'email' }, 'Email'), email,
        h('label', { for: 'password' }, 'Password'), password,
        err, button);
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        err.hidden = true;
        button.disabled = true;
        try {
            const body = await api('POST', '/api/v1/dashboard/login',
                { email: email.value, password: password.value }, { allow401: true });
            state.session = { merchant: body.merchant, csrf_token: body.csrf_token };
            navigate(safeNext(next), true);
        } catch (e) {
            err.textContent = e.message || 'Login failed';
            err.hidden = false;
            button.disabled = false;
        }
    });
    appRoot.append(
        h('main', { class: 'login-page' },
            h('div', { class: 'card login-card' },
                h('div', { class: 'brand brand-lg' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '₹'), 'Gateway'),
                h('h1', { text: 'Sign in to your dashboard' }),
                form,
                hint))
    );
    email.focus();
    // The any-password hint is true only in TEST_MODE: ask the gateway (SPEC 13.1).
    api('GET', '/api/v1/dashboard/config', undefined, { allow401: true }).then((cfg) => {
        hint.hidden = !(cfg && cfg.test_mode === true);
    }).catch(() => {});
}
