/**
 * INI parsing with the exact line rules of oslo.config's `iniparser.BaseParser`
 * and `cfg.ConfigParser` (oslo.config 9.0):
 *
 * - lines are split on `\n`, `\r\n` or `\r` (Python universal newlines) and right-stripped;
 * - a blank line ends a multi-line value;
 * - a line starting with a space or tab continues the previous value (left-stripped,
 *   joined with `\n`); with no value open it is an error. Note: an *indented* `#` line
 *   after an assignment is a continuation, not a comment — oslo does the same;
 * - `[name]` starts a section (no trimming inside the brackets, `[]` is an error,
 *   a trailing comment after `]` is an error);
 * - `#` or `;` in column 0 is a comment (and ends a multi-line value); there are
 *   no inline comments: `a = b # c` has the value `b # c`;
 * - `key = value` or `key: value`, whichever separator comes first; key and first-line
 *   value are stripped; a first-line value wrapped in matching `"` or `'` loses them;
 * - every assignment is kept: repeated keys accumulate in order (MultiStrOpt needs
 *   them; single-valued options take the last);
 * - the same section may appear several times and merges;
 * - an assignment before any section is an error.
 *
 * Section names are stored as written and also under oslo's normalised name:
 * lower case, except `DEFAULT`, which must be written exactly so (`[default]` is a
 * different, unused section in oslo).
 */
import { ConfigError, CONFIG_ERROR_CODES } from './errors.js';

export interface IniValue {
  /** The value, continuation lines joined with `\n`. */
  readonly value: string;
  /** 1-based line of the key. */
  readonly line: number;
  /** The section name as written in the file. */
  readonly section: string;
}

export interface IniFile {
  /** The path used in messages. */
  readonly file: string;
  /** normalised section name → key (as written) → every assignment, in file order. */
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, readonly IniValue[]>>;
}

/** oslo's `_normalize_group_name`. */
export function normalizeGroupName(name: string): string {
  return name === 'DEFAULT' ? name : name.toLowerCase();
}

export function parseIni(text: string, file: string): IniFile {
  const sections = new Map<string, Map<string, IniValue[]>>();
  let section: string | null = null;
  let key: string | null = null;
  let keyLine = 0;
  let value: string[] = [];

  const fail = (lineno: number, msg: string, line?: string): never => {
    const where = line === undefined ? `at line ${lineno}, ${msg}` : `at line ${lineno}, ${msg}: ${JSON.stringify(line)}`;
    throw new ConfigError(CONFIG_ERROR_CODES.PARSE, `Failed to parse ${file}: ${where}`, { file, line: lineno, reason: msg });
  };

  const flush = (): void => {
    if (key === null) return;
    if (section === null) fail(keyLine, 'Section must be started before assignment');
    const s = section as string;
    const norm = normalizeGroupName(s);
    let keys = sections.get(norm);
    if (!keys) {
      keys = new Map();
      sections.set(norm, keys);
    }
    let list = keys.get(key);
    if (!list) {
      list = [];
      keys.set(key, list);
    }
    list.push({ value: value.join('\n'), line: keyLine, section: s });
    key = null;
    value = [];
  };

  const lines = text.split(/\r\n|\r|\n/);
  // A trailing newline yields one empty last element: harmless (a blank line).
  for (let i = 0; i < lines.length; i++) {
    const lineno = i + 1;
    const line = (lines[i] as string).trimEnd();
    if (line === '') {
      flush();
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (key === null) fail(lineno, 'Unexpected continuation line', line);
      value.push(line.trimStart());
      continue;
    }
    flush();
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) fail(lineno, 'Invalid section (must end with ])', line);
      if (line.length <= 2) fail(lineno, 'Empty section name', line);
      section = line.slice(1, -1);
      const norm = normalizeGroupName(section);
      if (!sections.has(norm)) sections.set(norm, new Map());
    } else if (line.startsWith('#') || line.startsWith(';')) {
      // comment
    } else {
      const [k, v] = splitKeyValue(line, lineno, fail);
      if (k === '') fail(lineno, 'Key cannot be empty', line);
      key = k;
      keyLine = lineno;
      value = [v];
    }
  }
  flush();
  return { file, sections };
}

function splitKeyValue(line: string, lineno: number, fail: (n: number, m: string, l?: string) => never): [string, string] {
  const colon = line.indexOf(':');
  const equal = line.indexOf('=');
  if (colon < 0 && equal < 0) fail(lineno, "No ':' or '=' found in assignment", line);
  const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
  const key = line.slice(0, at).trim();
  let value = line.slice(at + 1).trim();
  if (value.length > 0 && value[0] === value[value.length - 1] && (value[0] === '"' || value[0] === "'")) {
    value = value.slice(1, -1);
  }
  return [key, value];
}
