// gatewayctl help and version (SPEC 16; operators' issue): --help and `help COMMAND` exit 0 on
// stdout, --version prints the VERSION file's version, a missing or unknown command is a usage
// error (exit 2, usage on stderr). None of them needs a database.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { gatewayctl } from '../lib/api.mjs';

describe('gatewayctl help', () => {
    it('--help, -h and help print every command and exit 0', async () => {
        for (const args of [['--help'], ['-h'], ['help']]) {
            const r = await gatewayctl(args);
            assert.equal(r.code, 0, r.stderr);
            for (const c of ['merchant create', 'merchant rotate-keys', 'merchant set-password', 'merchant list',
                'merchant deactivate', 'merchant activate', 'webhooks dlq list',
                'jobs recover', 'db migrate']) {
                assert.ok(r.stdout.includes(`  ${c}`), `${args}: ${c}`);
            }
            assert.equal(r.stderr, '');
        }
    });

    it('help COMMAND prints that command only', async () => {
        const r = await gatewayctl(['help', 'merchant']);
        assert.equal(r.code, 0);
        const lines = r.stdout.trimEnd().split('\n');
        assert.equal(lines.length, 6); // create, rotate-keys, set-password, list, deactivate, activate
        assert.ok(lines.every((l) => l.startsWith('  merchant ')));
        const u = await gatewayctl(['help', 'nope']);
        assert.equal(u.code, 2);
        assert.match(u.stderr, /^usage: gatewayctl/);
    });

    it('--version prints the version; no command is a usage error', async () => {
        const version = (await readFile('VERSION', 'utf8')).trim();
        const r = await gatewayctl(['--version']);
        assert.equal(r.code, 0);
        assert.equal(r.stdout, `gatewayctl ${version}\n`);
        const none = await gatewayctl([]);
        assert.equal(none.code, 2);
        assert.match(none.stderr, /^usage: gatewayctl/);
    });
});
