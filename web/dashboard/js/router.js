// Client-side routing and the page shell (top bar, navigation, logout). The views are given by
// main.js through setRoutes so that this module imports none of them.

import { api, setUnauthorizedHandler } from './api.js';
import { clear, h } from './dom.js';
import { appRoot, state } from './state.js';

let ROUTES = {};
let NAV = [];
let renderLogin = () => {};

// routes: { path: { title, render(main, alive) } }; nav: [[href, label]]; login: () => void.
export function setRoutes(routes, nav, login) {
    ROUTES = routes;
    NAV = nav;
    renderLogin = login;
}

setUnauthorizedHandler(() => goToLogin(true));

export function currentPath() {
    let p = location.pathname;
    if (p.length > 1 && p.endsWith('/')) {
        p = p.slice(0, -1);
    }
    return p;
}

export function navigate(url, replace = false) {
    if (replace) {
        history.replaceState(null, '', url);
    } else {
        history.pushState(null, '', url);
    }
    route();
}

export function goToLogin(withNext) {
    const p = currentPath();
    let url = '/login';
    if (withNext && isDashboardPath(p)) {
        url += '?next=' + encodeURIComponent(p + location.search);
    }
    navigate(url, true);
}

export function isDashboardPath(p) {
    return p === '/dashboard' || p.startsWith('/dashboard/');
}

// Only a same-origin path under /dashboard is an acceptable redirect target.
export function safeNext(next) {
    if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//')) {
        return '/dashboard';
    }
    if (/[\\\s]/.test(next)) {
        return '/dashboard';
    }
    let u;
    try {
        u = new URL(next, location.origin);
    } catch (e) {
        return '/dashboard';
    }
    if (u.origin !== location.origin || !isDashboardPath(u.pathname)) {
        return '/dashboard';
    }
    return u.pathname + u.search;
}

function teardown() {
    for (const fn of state.cleanups.splice(0)) {
        try {
            fn();
        } catch (e) {
            // ignore
        }
    }
}

export function route() {
    teardown();
    const seq = ++state.renderSeq;
    const p = currentPath();
    if (p === '/' || p === '') {
        navigate('/login', true);
        return;
    }
    if (p === '/login') {
        document.title = 'Sign in · Gateway Dashboard';
        renderLogin();
        return;
    }
    if (!state.session) {
        goToLogin(true);
        return;
    }
    const r = ROUTES[p];
    if (!r) {
        renderShell('Not found', (main) => {
            main.append(
                h('div', { class: 'card' },
                    h('h1', { text: 'Page not found' }),
                    h('p', null, 'Go back to the ', navLink('/dashboard', 'overview'), '.'))
            );
        });
        return;
    }
    document.title = r.title + ' · Gateway Dashboard';
    renderShell(r.title, (main) => r.render(main, () => seq === state.renderSeq));
}

export function navLink(href, label, attrs = {}) {
    return h('a', {
        href,
        ...attrs,
        onclick: (ev) => {
            if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) {
                return;
            }
            ev.preventDefault();
            navigate(href);
        },
    }, label);
}

export function renderShell(title, fill) {
    clear(appRoot);
    const p = currentPath();
    const merchant = state.session ? state.session.merchant : null;
    const nav = h('nav', { class: 'nav', 'aria-label': 'Main' },
        NAV.map(([href, label]) =>
            navLink(href, label, {
                class: p === href ? 'active' : '',
                'aria-current': p === href ? 'page' : null,
            })));
    const header = h('header', { class: 'topbar' },
        h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '₹'), 'Gateway'),
        nav,
        h('div', { class: 'account' },
            h('span', { class: 'merchant-name', text: merchant ? merchant.name : '' }),
            h('button', {
                type: 'button',
                class: 'btn btn-ghost',
                testid: 'logout-button',
                onclick: logout,
            }, 'Logout')));
    const main = h('main', { class: 'main' });
    appRoot.append(header, main);
    fill(main);
}

async function logout() {
    try {
        await api('POST', '/api/v1/dashboard/logout', undefined, { allow401: true });
    } catch (e) {
        // the session is dropped locally either way
    }
    state.session = null;
    navigate('/login', true);
}
