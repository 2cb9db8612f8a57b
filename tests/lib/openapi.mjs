// openapi.mjs: validates API answers against api/openapi.yaml (SPEC 20 v2) with ajv (JSON Schema
// 2020-12, the dialect of OpenAPI 3.1) and ajv-formats. tests/lib/api.mjs calls checkAnswer() for
// every answer its Client receives, so every integration suite checks the document against the
// code: a JSON answer whose path, method and status the document describes must match its
// schema; a 2xx answer the document does not describe fails; an error answer (4xx/5xx) the
// operation does not list must still be the SPEC 4.3 error envelope (the generic errors of
// SPEC 4.1 can come from any route).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OPENAPI_YAML = path.join(ROOT, 'api', 'openapi.yaml');

let cached;

export function openapiDoc() {
    return YAML.parse(readFileSync(OPENAPI_YAML, 'utf8'), { merge: true });
}

function esc(s) {
    return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function load() {
    if (cached) return cached;
    const doc = openapiDoc();
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(doc, 'openapi');
    // Path templates as regexps; literal segments win over {params} (SPEC 4.5): fewer params first.
    const routes = Object.keys(doc.paths).map((p) => ({
        template: p,
        params: (p.match(/\{/g) || []).length,
        re: new RegExp('^' + p.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
    })).sort((a, b) => a.params - b.params);
    const validators = new Map();
    function validator(pointer) {
        let v = validators.get(pointer);
        if (!v) {
            v = ajv.compile({ $ref: 'openapi#' + pointer });
            validators.set(pointer, v);
        }
        return v;
    }
    cached = { doc, routes, validator };
    return cached;
}

function resolveRef(doc, obj) {
    let o = obj;
    while (o && o.$ref) {
        o = o.$ref.slice(2).split('/').reduce((a, k) => a[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    }
    return o;
}

function pathOf(url) {
    let p = new URL(url, 'http://x').pathname;
    if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
    return p;
}

// Checks one answer; returns null when it conforms, else a message. json is the parsed body
// (undefined when the body is not JSON).
export function checkAnswer(method, url, status, contentType, json) {
    const { doc, routes, validator } = load();
    const m = method.toLowerCase();
    if (m === 'options' || m === 'head') return null;
    const isJson = /^application\/json\b/i.test(contentType || '');
    const p = pathOf(url);
    const route = routes.find((r) => r.re.test(p) && doc.paths[r.template][m]);
    const op = route ? doc.paths[route.template][m] : null;
    const errorSchema = '/components/schemas/Error';
    if (!op) {
        if (status >= 400) {
            if (!isJson) return null; // nginx's own non-API answers are checked elsewhere
            const v = validator(errorSchema);
            return v(json) ? null : `${method} ${p} ${status}: not the error envelope: ${ajvText(v)}`;
        }
        if (status >= 200 && status < 300) return `${method} ${p} ${status}: answer not described by api/openapi.yaml`;
        return null;
    }
    const resp = op.responses[String(status)];
    if (!resp) {
        if (status >= 400) {
            if (!isJson) return null;
            const v = validator(errorSchema);
            return v(json) ? null : `${method} ${route.template} ${status}: not the error envelope: ${ajvText(v)}`;
        }
        return `${method} ${route.template}: status ${status} not described by api/openapi.yaml`;
    }
    const r = resolveRef(doc, resp);
    if (!r.content) return null; // 204 and the like
    const media = Object.keys(r.content);
    if (!isJson) {
        if (media.includes('application/json')) {
            return `${method} ${route.template} ${status}: Content-Type ${contentType}, document says application/json`;
        }
        return null;
    }
    if (!media.includes('application/json')) {
        return `${method} ${route.template} ${status}: JSON answer, document says ${media.join(', ')}`;
    }
    if (json === undefined) return `${method} ${route.template} ${status}: body is not JSON`;
    const pointer = resp.$ref
        ? resp.$ref.slice(1) + '/content/application~1json/schema'
        : `/paths/${esc(route.template)}/${m}/responses/${status}/content/application~1json/schema`;
    const v = validator(pointer);
    return v(json) ? null : `${method} ${route.template} ${status} does not match api/openapi.yaml: ${ajvText(v)}`;
}

function ajvText(v) {
    return (v.errors || []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`).join('; ');
}
