// raw.mjs: raw HTTP/1.1 over TCP (node:net) for traffic fetch cannot produce: repeated headers,
// bad Content-Length, chunked garbage, NUL bytes, invalid request lines.
import net from 'node:net';
import { API_URL } from './api.mjs';

function decodeChunked(buf) {
    const parts = [];
    let pos = 0;
    for (;;) {
        const eol = buf.indexOf('\r\n', pos);
        if (eol < 0) break;
        const size = parseInt(buf.subarray(pos, eol).toString('latin1').split(';')[0], 16);
        if (!Number.isFinite(size) || size === 0) break;
        parts.push(buf.subarray(eol + 2, eol + 2 + size));
        pos = eol + 2 + size + 2;
    }
    return Buffer.concat(parts);
}

/* Parses the first response of buf: {status, statusLine, headerList, headers (lowercased -> [values]), body}. */
export function parseResponse(buf) {
    const sep = buf.indexOf('\r\n\r\n');
    if (sep < 0) return { status: 0, statusLine: '', headerList: [], headers: {}, buf, body: Buffer.alloc(0), text: '' };
    const head = buf.subarray(0, sep).toString('latin1').split('\r\n');
    const statusLine = head.shift();
    const m = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine);
    const headerList = head.map((l) => {
        const i = l.indexOf(':');
        return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
    const headers = {};
    for (const [k, v] of headerList) (headers[k.toLowerCase()] ||= []).push(v);
    let body = buf.subarray(sep + 4);
    if ((headers['transfer-encoding'] || []).some((v) => /chunked/i.test(v))) body = decodeChunked(body);
    else if (headers['content-length']) body = body.subarray(0, Number(headers['content-length'][0]));
    const text = body.toString('utf8');
    let json;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    return {
        status: m ? Number(m[1]) : 0,
        statusLine,
        headerList,
        headers,
        body,
        text,
        json,
        // fetch-like accessor: repeated headers joined with ", "
        get header() {
            return (name) => (headers[name.toLowerCase()] ? headers[name.toLowerCase()].join(', ') : null);
        },
    };
}

function complete(buf) {
    const sep = buf.indexOf('\r\n\r\n');
    if (sep < 0) return false;
    const r = parseResponse(buf);
    if (r.headers['content-length']) return buf.length >= sep + 4 + Number(r.headers['content-length'][0]);
    if ((r.headers['transfer-encoding'] || []).some((v) => /chunked/i.test(v))) {
        return buf.indexOf('\r\n0\r\n\r\n', sep) >= 0 || buf.subarray(sep + 4).indexOf('0\r\n\r\n') === 0;
    }
    if (r.status === 204 || r.status === 304) return true;
    return false;
}

/**
 * Sends bytes (string as latin1, or Buffer) to the API listener and reads one response.
 * Resolves when the response is complete or the peer closes. Headers are exposed through
 * res.headers.get() like fetch.
 */
export function rawRequest(data, { url = API_URL, timeout = 15000 } = {}) {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
        const chunks = [];
        let done = false;
        const sock = net.connect({ host: u.hostname, port: Number(u.port || 80) });
        const finish = () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            sock.destroy();
            const buf = Buffer.concat(chunks);
            const r = parseResponse(buf);
            r.raw = buf;
            r.headers.get = (name) => (r.headers[name.toLowerCase()] ? r.headers[name.toLowerCase()].join(', ') : null);
            resolve(r);
        };
        const timer = setTimeout(() => {
            if (!done) {
                done = true;
                sock.destroy();
                reject(new Error(`raw request timed out; got ${Buffer.concat(chunks).length} bytes`));
            }
        }, timeout);
        sock.on('connect', () => sock.write(Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1')));
        sock.on('data', (d) => {
            chunks.push(d);
            if (complete(Buffer.concat(chunks))) finish();
        });
        sock.on('end', finish);
        sock.on('close', finish);
        sock.on('error', (e) => {
            if (chunks.length) finish();
            else if (!done) {
                done = true;
                clearTimeout(timer);
                reject(e);
            }
        });
    });
}

/* Builds a request: head lines joined with CRLF, then the body. */
export function buildRequest(method, path, headerLines = [], body = '', { host = '127.0.0.1', close = true } = {}) {
    const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...headerLines];
    if (close) lines.push('Connection: close');
    const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    return Buffer.concat([head, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]);
}

export function raw(method, path, headerLines = [], body = '', opts = {}) {
    return rawRequest(buildRequest(method, path, headerLines, body, opts), opts);
}
