/** The few Python string and path semantics the rendered text depends on. */

// str.isspace() characters; JS trim() differs (it strips U+FEFF, not U+001C–U+001F or U+0085).
const PY_SPACE = '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** str.strip() */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && PY_SPACE.includes(s[a] as string)) a++;
  while (b > a && PY_SPACE.includes(s[b - 1] as string)) b--;
  return s.slice(a, b);
}

/**
 * str.isdigit(). Approximated by Unicode decimal digits: Python also counts
 * superscripts and circled digits, which mean nothing to dnsmasq anyway.
 */
export function pyIsDigit(s: string): boolean {
  return /^\p{Nd}+$/u.test(s);
}

/** '%s' % value for an optional string. */
export function pyStr(s: string | null): string {
  return s === null ? 'None' : s;
}

/** s.split('\n', 1)[0] */
export function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

/** os.path.join(a, b) for POSIX. */
export function pyJoin(a: string, b: string): string {
  if (b.startsWith('/')) return b;
  if (a === '' || a.endsWith('/')) return a + b;
  return `${a}/${b}`;
}

/** os.path.normpath for POSIX (keeps a leading `//`, as Python does). */
export function pyNormpath(p: string): string {
  if (p === '') return '.';
  const initial = p.startsWith('/') ? (p.startsWith('//') && !p.startsWith('///') ? 2 : 1) : 0;
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c !== '..' || (initial === 0 && out.length === 0) || (out.length > 0 && out[out.length - 1] === '..')) out.push(c);
    else if (out.length > 0) out.pop();
  }
  const joined = '/'.repeat(initial) + out.join('/');
  return joined === '' ? '.' : joined;
}
