/**
 * Errors of the config loader. One class, `ConfigError`, with a `code` from a
 * fixed catalogue (fastify style) and the location fields that apply, so a
 * caller can print `err.message` and exit, or branch on `err.code`.
 */

export const CONFIG_ERROR_CODES = {
  /** One or more --config-file paths do not exist (oslo: ConfigFilesNotFoundError). */
  FILE_NOT_FOUND: 'CONFIG_FILE_NOT_FOUND',
  /** A config file exists but cannot be read (oslo: ConfigFilesPermissionDeniedError). */
  FILE_UNREADABLE: 'CONFIG_FILE_UNREADABLE',
  /** A --config-dir path does not exist (oslo: ConfigDirNotFoundError). */
  DIR_NOT_FOUND: 'CONFIG_DIR_NOT_FOUND',
  /** INI syntax error (oslo: ConfigFileParseError). */
  PARSE: 'CONFIG_PARSE',
  /** A value does not convert to the option's type (oslo: ConfigFileValueError). */
  VALUE: 'CONFIG_VALUE',
  /** `$var` names no known option, or the references loop (oslo: NoSuchOptError / RecursionError). */
  TEMPLATE: 'CONFIG_TEMPLATE',
  /** Bad command line (argparse would exit 2). */
  ARGV: 'CONFIG_ARGV',
} as const;

export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[keyof typeof CONFIG_ERROR_CODES];

export interface ConfigErrorDetails {
  /** File path, or `command line` for a value given as a flag. */
  file?: string;
  line?: number;
  section?: string;
  option?: string;
  /** The raw value, already redacted for secret options. */
  value?: string;
  reason?: string;
  files?: readonly string[];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly section: string | undefined;
  readonly option: string | undefined;
  readonly value: string | undefined;
  readonly reason: string | undefined;
  readonly files: readonly string[] | undefined;

  constructor(code: ConfigErrorCode, message: string, details: ConfigErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.file = details.file;
    this.line = details.line;
    this.section = details.section;
    this.option = details.option;
    this.value = details.value;
    this.reason = details.reason;
    this.files = details.files;
  }
}

/**
 * Thrown by a type's parse function with the bare reason ("not an integer");
 * the resolver wraps it into a ConfigError that names file, section, option and value.
 */
export class ValueError extends Error {
  override readonly name = 'ValueError';
}

/** `/etc/neutron/dhcp_agent.ini [DEFAULT] dhcp_lease_duration = "abc": not an integer` */
export function valueErrorMessage(d: { file: string; section: string; option: string; value: string; reason: string }): string {
  return `${d.file} [${d.section}] ${d.option} = ${JSON.stringify(d.value)}: ${d.reason}`;
}
