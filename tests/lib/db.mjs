// db.mjs: SQL through the psql CLI (DATABASE_URL), for fixtures and verification.
import { execFile } from 'node:child_process';

export const DATABASE_URL =
    process.env.DATABASE_URL || 'postgresql://gateway_user:gateway_pass@127.0.0.1:45432/payment_gateway';

const FS = '\x1f';

function run(args, input) {
    return new Promise((resolve, reject) => {
        const child = execFile('psql', args, { maxBuffer: 256 << 20, env: { ...process.env, PGCONNECT_TIMEOUT: '5' } },
            (err, stdout, stderr) => {
                if (err) {
                    err.message += `\n${stderr}`;
                    reject(err);
                } else resolve(stdout);
            });
        if (input !== undefined) child.stdin.end(input);
    });
}

/* Quote a string as an SQL literal. */
export function lit(s) {
    return `'${String(s).replace(/'/g, "''")}'`;
}

/* Raw psql output (-A -t) of one statement. */
export async function sql(statement) {
    const out = await run(['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-F', FS, '-d', DATABASE_URL, '-c',
        statement]);
    return out.replace(/\n$/, '');
}

/* Rows as arrays of strings (NULL is ''). */
export async function rows(statement) {
    const out = await sql(statement);
    if (out === '') return [];
    return out.split('\n').map((line) => line.split(FS));
}

/* First column of the first row. */
export async function scalar(statement) {
    const r = await rows(statement);
    return r.length ? r[0][0] : undefined;
}

export async function count(statement) {
    return Number(await scalar(statement));
}

/* Whole data of every table of the public schema, as text (COPY ... TO STDOUT). */
export async function dumpAll() {
    const tables = (await rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"))
        .map((r) => r[0]);
    let out = '';
    for (const t of tables) {
        out += `-- ${t}\n`;
        out += await run(['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DATABASE_URL, '-c',
            `COPY "${t.replace(/"/g, '""')}" TO STDOUT`]);
    }
    return out;
}

/* pg_dump --data-only of the database (covers every schema). */
export function pgDump() {
    return new Promise((resolve, reject) => {
        execFile('pg_dump', ['--data-only', '--no-owner', '-d', DATABASE_URL], { maxBuffer: 512 << 20 },
            (err, stdout, stderr) => {
                if (err) {
                    err.message += `\n${stderr}`;
                    reject(err);
                } else resolve(stdout);
            });
    });
}

/* Test fixture: settle a payment as the worker would (used when no worker runs). */
export async function forceStatus(paymentId, status) {
    if (!/^pay_[A-Za-z0-9]{16}$/.test(paymentId)) throw new Error('bad id');
    const extra = status === 'failed'
        ? ", error_code = 'PAYMENT_FAILED', error_description = 'Payment processing failed'"
        : '';
    await sql(`UPDATE payments SET status = ${lit(status)}${extra}, updated_at = now() WHERE id = ${lit(paymentId)}`);
}
