/**
 * Error answers compared byte for byte with webob's own (Debian's python3-webob,
 * as Neutron's handler returns them) over Accept values, and webob's Content-Type
 * rule for a proxied 200. Skips when /usr/bin/python3 has no webob.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { errorAnswer, NOVA_INTERNAL_ERROR, proxiedContentType, UNKNOWN_ERROR, type ErrorStatus } from '../../../agents/metadata/answers.js';

const PY = `
import json, sys, webob, webob.exc
cases = json.load(sys.stdin)
out = []
cls = {400: webob.exc.HTTPBadRequest, 403: webob.exc.HTTPForbidden, 404: webob.exc.HTTPNotFound, 409: webob.exc.HTTPConflict, 500: webob.exc.HTTPInternalServerError}
for c in cases['errors']:
    req = webob.Request.blank('/latest/meta-data/instance-id')
    if c['accept'] is not None:
        req.headers['Accept'] = c['accept']
    exc = cls[c['status']](explanation=c['explanation']) if c['explanation'] else cls[c['status']]()
    resp = req.get_response(exc)
    out.append({'status': resp.status_code, 'type': resp.headers['Content-Type'], 'body': resp.body.decode()})
types = []
for t in cases['types']:
    r = webob.Response(); r.content_type = t; types.append(r.headers['Content-Type'])
print(json.dumps({'errors': out, 'types': types}))
`;

function webob(input: unknown): { errors: Array<{ status: number; type: string; body: string }>; types: string[] } | null {
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify(input) }).toString()) as ReturnType<typeof webob>;
  } catch {
    return null;
  }
}

const ACCEPTS = [null, '', '*/*', 'text/html', 'application/json', 'text/plain', 'text/*', 'application/*', 'garbage', '*/*;q=0',
  'text/html;q=0.5, application/json', 'application/json, text/html', 'text/plain, */*;q=0.1', 'TEXT/HTML', 'text/html;level=1',
  'text/plain;q=0.9, text/html;q=0.1,*/*;q=0.5', ',,', 'application/json;q=0', 'text/html;q=1.0'];
const STATUSES: Array<[ErrorStatus, string | null]> = [[400, null], [403, null], [404, null], [409, null], [500, UNKNOWN_ERROR], [500, NOVA_INTERNAL_ERROR]];
const TYPES = ['text/plain', 'application/json', 'text/html; charset=UTF-8', 'application/octet-stream', 'text/plain;charset=utf-8', 'application/xml', 'application/atom+xml', 'text/html'];

test('error answers equal webob\'s for every Accept value', (t) => {
  const errors = ACCEPTS.flatMap((accept) => STATUSES.map(([status, explanation]) => ({ accept, status, explanation })));
  const ref = webob({ errors, types: TYPES });
  if (!ref) { t.skip('/usr/bin/python3 with webob not available'); return; }
  errors.forEach((c, i) => {
    const a = errorAnswer(c.status, c.accept ?? undefined, c.explanation ?? undefined);
    const want = ref.errors[i]!;
    assert.deepEqual({ status: a.status, type: a.contentType, body: a.body.toString() }, want, `Accept ${JSON.stringify(c.accept)} status ${c.status}`);
  });
  TYPES.forEach((ty, i) => assert.equal(proxiedContentType(ty), ref.types[i], ty));
});
