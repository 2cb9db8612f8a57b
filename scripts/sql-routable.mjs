#!/usr/bin/env node
// scripts/sql-routable.mjs: every SQL statement core/ prepares is routable by merchant, or a
// known exception with its reason (docs/SCALING.md, issue 13 point 4).
//
// Sharding PostgreSQL by merchant (Citus: merchant_id as the distribution column of every
// merchant-owned table) keeps a statement on one shard only when it filters or inserts by
// merchant_id, or reaches the merchant's own row by its key. The statements are read from the
// preprocessed sources (gcc -E expands the SQL macros; adjacent string literals are joined here)
// so that the check sees exactly the text PostgreSQL receives. A new statement that is neither
// routable nor listed below fails `make lint`.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/* Statements that touch several merchants on purpose, or no merchant-owned table. */
const EXCEPTIONS = {
    /* schema: run once by the operator (gatewayctl migrate), not on a request path */
    migrate_lock: 'migrations', migrate_unlock: 'migrations', migrate_applied: 'migrations',
    migrate_record: 'migrations', migrate_exists: 'migrations', migrate_current: 'migrations',
    migrate_random: 'migrations',
    /* small tables that are not merchant-owned: Citus reference tables (replicated to every node) */
    idem_secret: 'installation_secrets: one row, a reference table',
    idem_lock: 'an advisory lock on (merchant, key) hashes: taken on the shard the statement runs on',
    merchant_seed: 'merchants is a reference table (few rows, rare writes); keyed by id it is the tenant itself',
    merchant_create: 'merchants: reference table', merchant_email_taken: 'merchants: reference table, by email',
    merchant_password_email: 'merchants: reference table, by email', merchant_login: 'merchants: reference table',
    merchant_test_lookup: 'merchants: reference table (the seeded test merchant)',
    merchant_list: 'gatewayctl merchant list: the merchants reference table, operator only',
    merchant_active_email: 'gatewayctl merchant activate/deactivate by email: merchants reference table, operator only',
    webhook_dlq_context: 'gatewayctl webhooks dlq list: a dead-lettered id of any merchant (multi-shard, operator only)',
    session_get: 'dashboard_sessions by token hash: a reference table, or distributed by token hash',
    session_del: 'dashboard_sessions by token hash', login_blocked: 'login throttle by email hash (reference table)',
    login_failed: 'login throttle by email hash (reference table)',
    /* the public checkout knows only the order id */
    order_get_public: 'public order read by id alone: routed by a shard tag in the id or an id-to-merchant lookup (SCALING.md)',
    /* the worker's batches and scans span merchants on purpose: multi-shard statements, off the
     * API's request path; sharded, each worker serves the merchants of its shard group */
    delivery_turn: 'worker: records and claims of one turn span merchants (multi-shard)',
    delivery_poll_due: 'worker: due webhook logs across merchants (multi-shard, index-bounded)',
    delivery_release: 'worker: claims given back by log id (multi-shard)',
    epd_release: 'worker: endpoint claims given back by delivery id (multi-shard)',
    settle_pay_take: 'worker: a settle batch spans merchants (multi-shard)',
    settle_ref_take: 'worker: a settle batch spans merchants (multi-shard)',
    settle_pay_batch: 'worker: a settle batch spans merchants (multi-shard)',
    settle_ref_batch: 'worker: a settle batch spans merchants (multi-shard)',
    settle_requery_claim: 'worker: the reconciler claims due bank re-queries across merchants (multi-shard)',
    settle_threeds_expire: 'worker: expiry of unanswered 3-D Secure challenges across merchants (multi-shard)',
    sweep_cutoff: 'no table', sweep_payments: 'recovery sweep across merchants (multi-shard, every 30 s)',
    sweep_refunds: 'recovery sweep across merchants', sweep_unpushed_payments: 'unpushed-work sweep across merchants',
    sweep_unpushed_refunds: 'unpushed-work sweep across merchants',
    sweep_idem: 'housekeeping of expired idempotency keys across merchants',
    sweep_sessions: 'housekeeping of sessions and login throttle rows',
    counts_live: '/metrics gauges across merchants (multi-shard, index-bounded)',
    counts_final: '/metrics totals across merchants (multi-shard, cached 10 s)',
    endpoint_lock: 'an advisory lock on the merchant (the limit of 16 endpoints), taken on its shard',
    endpoint_attempt_known: 'cursor check of an attempt within an endpoint already found to be the merchant\'s; sharded it adds merchant_id',
    epd_expire_events: 'housekeeping of expired events across merchants (multi-shard)',
};

/* The hot requests' statements (POST payments/orders/refunds, GET payment): never an exception. */
const HOT = ['payment_create', 'payment_get_auth', 'order_create', 'refund_lock', 'refund_create', 'merchant_auth',
    'idem_lock_auth'];

function preprocessed(file) {
    /* make lint passes the build's flags; alone, Debian's include paths */
    const flags = (process.env.GW_CPPFLAGS || '-Icore -I/usr/include/postgresql -I/usr/include/hiredis ' +
        '-I/usr/include/json-c -D_GNU_SOURCE').split(/\s+/).filter((f) => /^-[ID]/.test(f));
    return execFileSync('gcc', ['-E', '-P', ...flags, file], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
}

/* { name, sql } of every `struct db_stmt x = { "name", "sql" "sql" …, n }` in the text. */
function statements(text) {
    const out = [];
    const re = /struct db_stmt\s+\w+\s*=\s*\{\s*"((?:[^"\\]|\\.)*)"\s*,((?:\s*"(?:[^"\\]|\\.)*")+)\s*,/g;
    let m;
    while ((m = re.exec(text)) !== null) {
        const sql = [...m[2].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]).join('');
        out.push({ name: m[1], sql });
    }
    return out;
}

/* Filters or inserts by merchant (a merchant_id column, or the merchants row by its key). */
function routable(sql) {
    return /merchant_id\s*=\s*(\$\d+|\(SELECT id FROM a\)|[a-z]\.merchant_id|[a-z]\.id\b)/.test(sql) ||
        /INSERT INTO \w+ \([^)]*merchant_id/.test(sql) ||
        /(FROM|UPDATE) merchants\b( \w+)?[^;]*WHERE[^;]*\b(\w\.)?(id|api_key)\s*=\s*\$\d/.test(sql);
}

const files = readdirSync(path.join(ROOT, 'core')).filter((f) => f.endsWith('.c')).sort();
const bad = [];
const seen = new Set();
let total = 0;
for (const f of files) {
    for (const st of statements(preprocessed(path.join('core', f)))) {
        total++;
        seen.add(st.name);
        if (routable(st.sql) || st.name in EXCEPTIONS) continue;
        bad.push(`${f}: ${st.name}: ${st.sql.slice(0, 160)}`);
    }
}
if (process.argv.includes("--list")) { for (const f of files) for (const st of statements(preprocessed(path.join("core", f)))) console.log(f, st.name, routable(st.sql) ? "R" : "-"); }
const stale = Object.keys(EXCEPTIONS).filter((n) => !seen.has(n));
for (const h of HOT) {
    if (!seen.has(h)) bad.push(`hot statement ${h} not found`);
    if (h in EXCEPTIONS) bad.push(`hot statement ${h} may not be an exception`);
}
if (bad.length || stale.length || total === 0) {
    for (const b of bad) console.error(`sql-routable: not routable by merchant and not a known exception: ${b}`);
    for (const s of stale) console.error(`sql-routable: exception for a statement that no longer exists: ${s}`);
    if (total === 0) console.error('sql-routable: no statements found (the pattern no longer matches core/)');
    process.exit(1);
}
console.log(`sql-routable: ${total} statements, ${total - Object.keys(EXCEPTIONS).length} routable by merchant, ` +
    `${Object.keys(EXCEPTIONS).length} known exceptions`);
