// Shared client state: the session (merchant and CSRF token, in memory only), the current view's
// teardown functions, and the render sequence that tells a view whether it is still shown.

export const state = {
    session: null, // { merchant, csrf_token }
    cleanups: [], // per-view teardown (timers, charts)
    renderSeq: 0,
};

export const appRoot = document.getElementById('app');
