// pgproxy.mjs: a TCP proxy between the API and PostgreSQL, for suites that watch or break the
// database connection (api_db_retry, api_round_trips). The API is restarted (one child) to reach
// PostgreSQL through it, and restarted normally afterwards.
import net from 'node:net';
import { DATABASE_URL } from './db.mjs';
import { stack, waitHealthy } from './stack.mjs';

// hooks.client(data, conn) / hooks.server(data, conn) see every chunk in either direction (conn
// identifies the proxied connection); returning true cuts that connection instead of forwarding
// the chunk.
function listen(target, hooks) {
    const pairs = new Set();
    return new Promise((resolve) => {
        const srv = net.createServer((client) => {
            const server = net.connect(target.port, target.host);
            const pair = { client, server };
            pairs.add(pair);
            const close = () => {
                client.destroy();
                server.destroy();
                pairs.delete(pair);
            };
            const pipe = (hook, to) => (d) => {
                if (hook && hook(d, pair) === true) {
                    close();
                    return;
                }
                to.write(d);
            };
            client.on('data', pipe(hooks.client, server));
            server.on('data', pipe(hooks.server, client));
            for (const s of [client, server]) {
                s.on('error', close);
                s.on('close', close);
            }
        });
        srv.listen(0, '127.0.0.1', () => resolve({ srv, pairs }));
    });
}

// Starts the proxy and points the API at it. Returns { dropAll(), stop() }: dropAll closes every
// proxied connection (the API sees the server vanish), stop restores the API and closes the proxy.
export async function proxyApiDatabase(hooks = {}) {
    const u = new URL(DATABASE_URL);
    const { srv, pairs } = await listen({ host: u.hostname, port: Number(u.port) }, hooks);
    u.port = String(srv.address().port);
    await stack('api-restart', `DATABASE_URL=${u.toString()}`, 'FCGI_CHILDREN=1');
    await waitHealthy(30000);
    const dropAll = () => {
        for (const p of pairs) {
            p.client.destroy();
            p.server.destroy();
        }
    };
    return {
        dropAll,
        async stop() {
            await stack('api-restart');
            await waitHealthy(30000);
            dropAll();
            srv.close();
        },
    };
}
