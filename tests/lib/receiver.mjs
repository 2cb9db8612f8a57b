// receiver.mjs: a real local HTTP webhook receiver for the worker suites. It listens on
// 127.0.0.1 on a random port and records every request: raw body bytes, headers (lower-case
// names, as node gives them) and arrival time (ms since the epoch).
//
//   const rx = await startReceiver({ mode: '200' });   // '200' | '500' | 'hang' | 'closed'
//   ... rx.url ...; await rx.waitFor((reqs) => reqs.length >= 3, 10000);
//   rx.setMode('500'); await rx.close();
//
// 'hang' accepts the request and never answers; 'closed' gives the URL of a port with no
// listener (connection refused). Modes can be changed at any time (not to or from 'closed').
// A function mode answers each request itself: (request) => ({ status, headers, body }).
import http from 'node:http';
import net from 'node:net';

async function freePort() {
  return await new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startReceiver({ mode = '200', path = '/webhook' } = {}) {
  const requests = [];
  const waiters = new Set();
  let current = mode;

  const notify = () => {
    for (const w of [...waiters]) {
      if (w.pred(requests)) {
        waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(requests);
      }
    }
  };

  if (mode === 'closed') {
    const port = await freePort();
    return {
      url: `http://127.0.0.1:${port}${path}`,
      port,
      requests,
      setMode() {},
      waitFor: (pred, ms) => waitFor(pred, ms),
      async close() {},
    };
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    const at = Date.now();
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
        text: body.toString('utf8'),
        at,
        mode: current,
      });
      notify();
      if (current === 'hang') {
        return; // never answer; the worker's 5 s timeout ends the attempt
      }
      if (typeof current === 'function') {
        const a = current(requests[requests.length - 1]) || {};
        res.writeHead(a.status || 200, { 'Content-Type': 'text/plain', ...(a.headers || {}) });
        res.end(a.body ?? '');
        return;
      }
      const status = current === '500' ? 500 : 200;
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'receiver error');
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();

  function waitFor(pred, ms = 10000) {
    if (pred(requests)) {
      return Promise.resolve(requests);
    }
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`receiver: condition not met within ${ms} ms (${requests.length} requests)`));
      }, ms);
      waiters.add(w);
    });
  }

  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    requests,
    setMode(m) {
      current = m;
    },
    waitFor,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// Used by the 'closed' mode: nothing ever arrives, so a waiter only times out or passes at once.
function waitFor(pred, ms = 10000) {
  const requests = [];
  if (pred(requests)) {
    return Promise.resolve(requests);
  }
  return new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`receiver: closed port got nothing in ${ms} ms`)), ms));
}
