// DOM helpers shared by the dashboard views. All API data goes in through textContent.

export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
        for (const [k, v] of Object.entries(attrs)) {
            if (v === undefined || v === null || v === false) {
                continue;
            }
            if (k === 'text') {
                el.textContent = String(v);
            } else if (k === 'class') {
                el.className = v;
            } else if (k === 'testid') {
                el.setAttribute('data-test-id', v);
            } else if (k.startsWith('on') && typeof v === 'function') {
                el.addEventListener(k.slice(2), v);
            } else if (v === true) {
                el.setAttribute(k, '');
            } else {
                el.setAttribute(k, String(v));
            }
        }
    }
    appendChildren(el, children);
    return el;
}

function appendChildren(el, children) {
    for (const c of children.flat()) {
        if (c === null || c === undefined || c === false) {
            continue;
        }
        el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
}

export function clear(el) {
    while (el.firstChild) {
        el.removeChild(el.firstChild);
    }
}

export function field(label, id, control) {
    return h('div', { class: 'field' }, h('label', { for: id, text: label }), control);
}

// A value made safe for use in a class name (status-success, ...).
export function safeClass(s) {
    return String(s).replace(/[^a-z0-9_-]/gi, '');
}
