// Static checks of the container deployment (issue 4, SPEC 2.1, 20). Docker does not run on our
// machines, so this checks what can be checked without an engine: `docker-compose config`
// accepts the file, services, container names, images, ports, health checks, dependencies and
// environment match SPEC, every file the Dockerfiles and compose file reference exists, the
// container nginx configurations pass `nginx -t`, and submission.yml has the required commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync, copyFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// SPEC section 3: every variable and its default.
const SPEC_ENV = {
    DATABASE_URL: 'postgresql://gateway_user:gateway_pass@postgres:5432/payment_gateway',
    PORT: '8000',
    REDIS_URL: 'redis://redis:6379',
    TEST_MERCHANT_EMAIL: 'test@example.com',
    TEST_API_KEY: 'key_test_abc123',
    TEST_API_SECRET: 'secret_test_xyz789',
    UPI_SUCCESS_RATE: '0.90',
    CARD_SUCCESS_RATE: '0.95',
    PROCESSING_DELAY_MIN: '5000',
    PROCESSING_DELAY_MAX: '10000',
    TEST_MODE: 'false',
    TEST_PAYMENT_SUCCESS: 'true',
    TEST_PROCESSING_DELAY: '1000',
    WEBHOOK_RETRY_INTERVALS_TEST: 'false',
    FCGI_CHILDREN: '4',
    WORKER_CONCURRENCY: '64',
    LOG_LEVEL: 'info',
    DASHBOARD_PORT: '3000',
    CHECKOUT_PORT: '3001',
    TLS_PORT: '8443',
    TLS_CERT_FILE: '',
    TLS_KEY_FILE: '',
    RATE_LIMIT_RPS: '100',
    RATE_LIMIT_BURST: '200',
    WEBHOOK_BLOCK_PRIVATE: 'true',
    REAL_IP_FROM: '127.0.0.1/32 ::1/128',
    SEED_TEST_MERCHANT: 'true',
};

function composeConfig(extraEnv = {}) {
    // A clean environment so that the defaults, not this machine's settings, are rendered.
    const env = { PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', ...extraEnv };
    const out = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
        cwd: ROOT, env, encoding: 'utf8',
    });
    return out;
}

// The compose file as written (not rendered): a small YAML reader is not worth it; check text.
const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');

test('docker-compose config accepts the file and renders the SPEC defaults', () => {
    const rendered = composeConfig();
    for (const [name, def] of Object.entries(SPEC_ENV)) {
        if (def === '') {
            assert.match(rendered, new RegExp(`\\b${name}: ''`), `${name} rendered empty`);
        } else {
            assert.ok([`${name}: ${def}\n`, `${name}: '${def}'\n`, `${name}: "${def}"\n`].some((l) => rendered.includes(l)),
                `${name} renders its default ${def}`);
        }
    }
});

test('every SPEC variable is passed as ${NAME:-default} to api and worker', () => {
    for (const [name, def] of Object.entries(SPEC_ENV)) {
        assert.ok(composeText.includes(`${name}: \${${name}:-${def}}`), `${name}: \${${name}:-${def}}`);
    }
    // both services take the shared block
    const api = composeText.split(/\n  api:\n/)[1].split(/\n  \w+:\n/)[0];
    const worker = composeText.split(/\n  worker:\n/)[1].split(/\n  \w+:\n/)[0];
    assert.match(api, /environment: \*gateway-env/);
    assert.match(worker, /environment: \*gateway-env/);
});

test('an override from the environment reaches the rendered file', () => {
    const rendered = composeConfig({ TEST_MODE: 'true', PORT: '9000' });
    assert.match(rendered, /TEST_MODE: 'true'|TEST_MODE: "true"|TEST_MODE: true/);
    assert.match(rendered, /published: 9000|9000:9000/);
});

test('restart policies, the TLS volume and METRICS_ALLOW (issue 14)', () => {
    const rendered = composeConfig();
    for (const svc of ['postgres', 'redis', 'api', 'worker', 'dashboard', 'checkout']) {
        const block = composeText.split(new RegExp(`\\n  ${svc}:\\n`))[1].split(/\n  \w+:\n/)[0];
        assert.match(block, /restart: unless-stopped/, svc);
    }
    assert.match(composeText, /- tls:\/var\/lib\/gateway\/tls/);
    assert.match(readFileSync(path.join(ROOT, 'docker', 'api-entrypoint.sh'), 'utf8'), /tls_dir=\/var\/lib\/gateway\/tls/);
    assert.match(rendered, /METRICS_ALLOW: 127\.0\.0\.1\/32/);
    assert.ok(!/- "?(5432|6379):/.test(composeText), 'postgres and redis not published on every address');
});

test('services, container names, images, ports, health checks and dependencies match SPEC 2.1', () => {
    const rendered = composeConfig();
    const expect = [
        ['postgres', 'pg_gateway'], ['redis', 'redis_gateway'], ['api', 'gateway_api'],
        ['worker', 'gateway_worker'], ['dashboard', 'gateway_dashboard'], ['checkout', 'gateway_checkout'],
    ];
    for (const [svc, name] of expect) {
        assert.match(composeText, new RegExp(`\\n  ${svc}:\\n[\\s\\S]*?container_name: ${name}\\n`), `${svc} -> ${name}`);
    }
    assert.match(composeText, /image: postgres:15-alpine/);
    assert.match(composeText, /image: redis:7-alpine/);
    assert.match(composeText, /POSTGRES_DB: payment_gateway/);
    assert.match(composeText, /POSTGRES_USER: gateway_user/);
    assert.match(composeText, /POSTGRES_PASSWORD: gateway_pass/);
    // SPEC 2.1's host ports, published on the host's loopback only (issue 14)
    assert.match(composeText, /"127\.0\.0\.1:5432:5432"/);
    assert.match(composeText, /"127\.0\.0\.1:6379:6379"/);
    assert.match(composeText, /pg_isready -U gateway_user -d payment_gateway/);
    assert.match(composeText, /"redis-cli", "ping"/);
    assert.match(composeText, /curl -fsS http:\/\/localhost:\$\$\{PORT\}\/health/);
    assert.match(composeText, /"\$\{PORT:-8000\}:\$\{PORT:-8000\}"/);
    assert.match(composeText, /"\$\{TLS_PORT:-8443\}:\$\{TLS_PORT:-8443\}"/);
    assert.match(composeText, /"\$\{DASHBOARD_PORT:-3000\}:80"/);
    assert.match(composeText, /"\$\{CHECKOUT_PORT:-3001\}:80"/);
    assert.match(composeText, /dockerfile: Dockerfile.worker/);
    assert.match(composeText, /host.docker.internal:host-gateway/);
    // api waits for healthy postgres and redis; worker for a healthy api
    assert.match(rendered, /api:[\s\S]*depends_on:[\s\S]*postgres:\s*\n\s*condition: service_healthy/);
    assert.match(rendered, /worker:[\s\S]*depends_on:[\s\S]*api:\s*\n\s*condition: service_healthy/);
});

test('every file the Dockerfiles copy exists, images are Debian 12, multi-stage and non-root', () => {
    for (const file of ['Dockerfile', 'Dockerfile.worker', 'Dockerfile.dashboard', 'Dockerfile.checkout']) {
        const text = readFileSync(path.join(ROOT, file), 'utf8');
        const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
        assert.ok(froms.length >= 2, `${file} is multi-stage`);
        assert.match(froms[froms.length - 1], /^debian:12/, `${file} runs on Debian 12`);
        assert.match(text, /^USER (?!root)\S+/m, `${file} runs as a non-root user`);
        for (const m of text.matchAll(/^COPY (?!--from)(.+)$/gm)) {
            const parts = m[1].trim().split(/\s+/);
            for (const src of parts.slice(0, -1)) {
                if (src.includes('*')) {
                    const dir = path.join(ROOT, path.dirname(src));
                    const re = new RegExp('^' + path.basename(src).replace(/\./g, '\\.').replace(/\*/g, '.*') + '$');
                    assert.ok(readdirSync(dir).some((f) => re.test(f)), `${file}: ${src} matches files`);
                } else {
                    assert.ok(existsSync(path.join(ROOT, src)), `${file}: ${src} exists`);
                }
            }
        }
    }
    for (const m of composeText.matchAll(/dockerfile: (\S+)/g)) {
        assert.ok(existsSync(path.join(ROOT, m[1])), `${m[1]} exists`);
    }
});

test('the container nginx configurations pass nginx -t', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-docker-nginx-'));
    try {
        mkdirSync(path.join(dir, 'nginx', 'tmp'), { recursive: true });
        mkdirSync(path.join(dir, 'run'), { recursive: true });
        for (const f of readdirSync(path.join(ROOT, 'nginx')).filter((f) => /^gw-.*\.conf$/.test(f))) {
            copyFileSync(path.join(ROOT, 'nginx', f), path.join(dir, 'nginx', f));
        }
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
            '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
        const vars = {
            PORT: '8000', TLS_PORT: '8443', RATE_LIMIT_RPS: '100', RATE_LIMIT_BURST: '200', GW_STATE_DIR: dir,
            GW_FCGI_SERVER: `unix:${dir}/run/gw-fcgi.sock`, GW_TLS_CERT: `${dir}/c.pem`, GW_TLS_KEY: `${dir}/k.pem`,
            API_UPSTREAM: 'api:8000', GW_FCGI_LOGIN_SERVER: `unix:${dir}/run/gw-fcgi-login.sock`,
            GW_REAL_IP_FROM: '    set_real_ip_from 127.0.0.1/32;\n    set_real_ip_from ::1/128;',
            GW_REAL_IP_GEO: '        127.0.0.1/32 1;\n        ::1/128 1;',
        };
        for (const tpl of ['nginx-api.conf.template', 'nginx-dashboard.conf.template', 'nginx-checkout.conf.template']) {
            let text = readFileSync(path.join(ROOT, 'docker', tpl), 'utf8');
            for (const [k, v] of Object.entries(vars)) {
                text = text.split('${' + k + '}').join(v);
            }
            assert.doesNotMatch(text, /\$\{[A-Z_]+\}/, `${tpl}: every placeholder is rendered`);
            text = text.split('/tmp/gateway').join(dir).split('/dev/stdout').join(path.join(dir, 'access.log'));
            // `nginx -t` resolves upstream host names: give the compose service names to the resolver
            // by testing with loopback stand-ins.
            text = text.replace(/proxy_pass http:\/\/api:8000/g, 'proxy_pass http://127.0.0.1:8000');
            writeFileSync(path.join(dir, 'nginx', 'nginx.conf'), text);
            const out = execFileSync('nginx', ['-t', '-p', path.join(dir, 'nginx'), '-c', path.join(dir, 'nginx', 'nginx.conf')],
                { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
            assert.equal(typeof out, 'string', tpl);
        }
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

test('submission.yml has the SPEC 20 commands', () => {
    const text = readFileSync(path.join(ROOT, 'submission.yml'), 'utf8');
    for (const key of ['setup', 'start', 'test', 'verify', 'shutdown']) {
        assert.match(text, new RegExp(`^${key}:\\n(  - .+\\n)+`, 'm'), `${key} is a list of commands`);
    }
    assert.match(text, /^start:\n  - docker-compose up -d$/m);
    for (const cmd of ['curl http://localhost:8000/health', 'curl http://localhost:8000/api/v1/test/jobs/status',
        'curl -f http://localhost:3000', 'curl -f http://localhost:3001', 'docker-compose exec -T redis redis-cli ping']) {
        assert.ok(text.includes(`  - ${cmd}\n`), `verify includes ${cmd}`);
    }
    assert.match(text, /^shutdown:\n  - docker-compose down$/m);
});
