/**
 * The error answers of Neutron's metadata handler, byte for byte: webob.exc
 * HTTPNotFound / HTTPForbidden / HTTPBadRequest / HTTPConflict /
 * HTTPInternalServerError (webob 1.8 as in Debian 12). webob picks plain text,
 * HTML or JSON from the Accept header (offers text/html, application/json; none
 * acceptable → text/plain), so curl (which accepts any type) gets HTML and a request
 * without Accept gets plain text. Also webob's rule for the Content-Type of a
 * proxied 200 (adds `; charset=UTF-8` to texty types without a charset).
 */

export type ErrorStatus = 400 | 403 | 404 | 409 | 500;

const TITLES: Record<ErrorStatus, string> = {
  400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error',
};

const EXPLANATIONS: Record<ErrorStatus, string> = {
  400: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  403: 'Access was denied to this resource.',
  404: 'The resource could not be found.',
  409: 'There was a conflict when trying to complete your request.',
  500: 'The server has either erred or is incapable of performing the requested operation.',
};

/** The two explanations Neutron passes to HTTPInternalServerError. */
export const UNKNOWN_ERROR = 'An unknown error has occurred. Please try your request again.';
export const NOVA_INTERNAL_ERROR = 'Remote metadata server experienced an internal server error.';

export interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

interface MediaRange { type: string; subtype: string; params: number; q: number }

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

/** webob's Accept parsing, reduced to what acceptable_offers needs; null = invalid header. */
function parseAccept(value: string): MediaRange[] | null {
  const out: MediaRange[] = [];
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const [range, ...paramTexts] = item.split(';').map((s) => s.trim());
    const [type, subtype, extra] = (range ?? '').split('/');
    if (!type || !subtype || extra !== undefined || !TOKEN.test(type) || !TOKEN.test(subtype)) return null;
    let q = 1;
    let params = 0;
    for (const p of paramTexts) {
      const eq = p.indexOf('=');
      if (eq <= 0) return null;
      const k = p.slice(0, eq).trim().toLowerCase();
      if (k === 'q') {
        const n = Number(p.slice(eq + 1).trim());
        if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(p.slice(eq + 1).trim()) || Number.isNaN(n)) return null;
        q = n;
        break; // parameters after q are accept-extensions, ignored for matching
      }
      params++;
    }
    out.push({ type: type.toLowerCase(), subtype: subtype.toLowerCase(), params, q });
  }
  return out;
}

/** acceptable_offers(['text/html', 'application/json'])[0], or null. */
export function negotiate(accept: string | undefined): 'html' | 'json' | null {
  const ranges = parseAccept(accept ?? '');
  if (ranges === null) return 'html'; // an invalid header accepts every offer
  let best: { kind: 'html' | 'json'; q: number } | null = null;
  for (const [kind, type, subtype] of [['html', 'text', 'html'], ['json', 'application', 'json']] as const) {
    // The most specific matching range decides the offer's quality.
    let q = -1;
    let specificity = -1;
    for (const r of ranges) {
      const s = r.type === '*' ? (r.subtype === '*' ? 0 : -1) : r.type !== type ? -1 : r.subtype === '*' ? 1 : r.subtype === subtype && r.params === 0 ? 2 : -1;
      if (s > specificity) { specificity = s; q = r.q; }
    }
    if (q > 0 && (best === null || q > best.q)) best = { kind, q };
  }
  return best?.kind ?? null;
}

const htmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');

/** Python json.dumps of a str (ensure_ascii). */
const pyJsonString = (s: string): string => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A webob HTTP error as Neutron returns it; `explanation` only for the 500s Neutron words itself. */
export function errorAnswer(status: ErrorStatus, accept: string | undefined, explanation?: string): Answer {
  const title = TITLES[status];
  const code = `${status} ${title}`;
  const text = explanation ?? EXPLANATIONS[status];
  switch (negotiate(accept)) {
    case 'html':
      return { status, contentType: 'text/html; charset=UTF-8', body: Buffer.from(`<html>\n <head>\n  <title>${code}</title>\n </head>\n <body>\n  <h1>${code}</h1>\n  ${htmlEscape(text)}<br /><br />\n\n\n\n </body>\n</html>`) };
    case 'json':
      return { status, contentType: 'application/json', body: Buffer.from(`{"message": ${pyJsonString(`${text}<br /><br />\n\n\n`)}, "code": ${pyJsonString(code)}, "title": ${pyJsonString(title)}}`) };
    default:
      return { status, contentType: 'text/plain; charset=UTF-8', body: Buffer.from(`${code}\n\n${text}\n\n   `) };
  }
}

/** webob Response.content_type = <Nova's Content-Type>: texty types without a charset get UTF-8. */
export function proxiedContentType(novaType: string): string {
  if (novaType.includes('charset=')) return novaType;
  const texty = novaType === 'text/html' || novaType.startsWith('text/') || novaType.startsWith('application/xml')
    || (novaType.startsWith('application/') && novaType.endsWith('+xml')) || (novaType.startsWith('image/') && novaType.endsWith('+xml'));
  return texty ? `${novaType}; charset=UTF-8` : novaType;
}
