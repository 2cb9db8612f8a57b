#!/usr/bin/env node
// api/openapi.yaml -> api/openapi.json (compact JSON, the bytes GET /api/v1/openapi.json serves;
// the Makefile embeds the file in gw-fcgi, so neither the build nor the API needs node or a
// YAML parser). Run after editing the YAML: `node scripts/openapi-json.mjs`; `--check` exits 1
// when api/openapi.json is stale (tests/integration/api_openapi.test.mjs runs the same check).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'api', 'openapi.yaml');
const OUT = path.join(ROOT, 'api', 'openapi.json');

export function openapiJson() {
    const doc = YAML.parse(readFileSync(SRC, 'utf8'), { merge: true });
    return JSON.stringify(doc);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    const json = openapiJson();
    if (process.argv.includes('--check')) {
        let cur = '';
        try {
            cur = readFileSync(OUT, 'utf8');
        } catch {
            // missing: stale
        }
        if (cur !== json) {
            console.error('api/openapi.json is stale: run node scripts/openapi-json.mjs');
            process.exit(1);
        }
    } else {
        writeFileSync(OUT, json);
    }
}
