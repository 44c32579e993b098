// .env files, as foreman and overmind read them next to a Procfile, and as
// `env_file:` names them per console: parsed by dotenv, the parser most
// tools share, so quoting and comments mean what users expect.
import fs from 'node:fs';
import { parse } from 'dotenv';
import { ConfigError } from './config-error.js';

/** The variables of file; a file that cannot be read is a ConfigError (at `from`'s line if given). */
export function readEnvFile(file: string, from?: { file: string; line: number | undefined }): Record<string, string> {
  let text: Buffer;
  try {
    text = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    if (from !== undefined) throw new ConfigError(from.file, from.line, `cannot read env_file ${file}: ${code}`);
    throw new ConfigError(file, undefined, `cannot read: ${code}`);
  }
  return parse(text);
}
