// The dashboard's API client: same-origin fetch with the session cookie, the CSRF header on
// writes, and errors as ApiError (SPEC 12 error bodies). A 401 sends the user to the login page
// through the handler the router installs.

import { state } from './state.js';

let onUnauthorized = () => {};

export function setUnauthorizedHandler(fn) {
    onUnauthorized = fn;
}

export class ApiError extends Error {
    constructor(status, code, description) {
        super(description);
        this.status = status;
        this.code = code;
    }
}

export async function api(method, path, body, opts = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
    }
    if (method !== 'GET' && state.session) {
        headers['X-CSRF-Token'] = state.session.csrf_token;
    }
    let res;
    try {
        res = await fetch(path, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            credentials: 'same-origin',
            cache: 'no-store',
        });
    } catch (e) {
        throw new ApiError(0, 'NETWORK_ERROR', 'Network error: the API could not be reached');
    }
    if (res.status === 401 && !opts.allow401) {
        state.session = null;
        onUnauthorized();
        throw new ApiError(401, 'AUTHENTICATION_ERROR', 'Session expired');
    }
    if (opts.raw) {
        if (!res.ok) {
            throw await errorFrom(res);
        }
        return res;
    }
    if (res.status === 204) {
        return null;
    }
    if (!res.ok) {
        throw await errorFrom(res);
    }
    return res.json();
}

async function errorFrom(res) {
    let code = 'HTTP_' + res.status;
    let description = 'Request failed (HTTP ' + res.status + ')';
    try {
        const j = await res.json();
        if (j && j.error) {
            code = j.error.code || code;
            description = j.error.description || description;
        }
    } catch (e) {
        // not JSON: keep the generic text
    }
    return new ApiError(res.status, code, description);
}
