// The Procfile format of foreman and overmind: `name: command` per line,
// `#` comments and blank lines ignored.
import { ConfigError } from './config-error.js';
import { nameProblem, type ConsoleSpec } from './console-spec.js';

export function parseProcfile(text: string, file: string): ConsoleSpec[] {
  const specs: ConsoleSpec[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([^:\s]*)\s*:\s*(.*)$/.exec(line);
    if (m === null || m[1] === '') throw new ConfigError(file, i + 1, `expected "name: command", got ${JSON.stringify(line)}`);
    const [, name, cmd] = m as unknown as [string, string, string];
    const bad = nameProblem(name);
    if (bad !== undefined) throw new ConfigError(file, i + 1, bad);
    if (cmd.trim() === '') throw new ConfigError(file, i + 1, `console "${name}" has an empty command`);
    if (seen.has(name)) throw new ConfigError(file, i + 1, `duplicate console name "${name}"`);
    seen.add(name);
    specs.push({ name, cmd });
  });
  if (specs.length === 0) throw new ConfigError(file, undefined, 'no consoles defined');
  return specs;
}
