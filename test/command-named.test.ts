// Issue 14: yargs is given only the command being run when a scan of the
// command line is sure which it is; when it is not, every command, and yargs
// decides as it always did. A wrong "sure" would run another command than
// yargs would have, or refuse a valid command line.
import { describe, expect, it } from 'vitest';
import { commandNamed } from '../src/cli/main.js';

const names = ['run', 'ls', 'send', 'expect', 'tee', 'kill-server'];

describe('14 commandNamed', () => {
  it('names the command after global options and their values, in each spelling', () => {
    expect(commandNamed(['send', 'x', 'y'], names)).toBe('send');
    expect(commandNamed(['-L', 'work', 'send', 'x', 'y'], names)).toBe('send');
    // A value that is itself a command's name is the option's value.
    expect(commandNamed(['-L', 'ls', 'send', 'x'], names)).toBe('send');
    expect(commandNamed(['--session', 'ls', '-S', '/s', '--host', 'ssh://h', 'tee', 'x'], names)).toBe('tee');
    expect(commandNamed(['--socket=/s', '--host=ssh://h', 'kill-server'], names)).toBe('kill-server');
    expect(commandNamed(['ls', '--json'], names)).toBe('ls');
  });

  it('leaves the choice to yargs when anything else comes first, or no command does', () => {
    // An option yargs may give the next word to (--timeout ls expect: timeout=ls, the command expect).
    expect(commandNamed(['--timeout', 'ls', 'expect', 'x', 'y'], names)).toBeUndefined();
    expect(commandNamed(['--help', 'send'], names)).toBeUndefined();
    expect(commandNamed(['-Lwork', 'ls'], names)).toBeUndefined();
    expect(commandNamed(['--', 'ls'], names)).toBeUndefined();
    expect(commandNamed(['bogus', 'ls'], names)).toBeUndefined();
    expect(commandNamed(['-L', 'work'], names)).toBeUndefined();
    expect(commandNamed([], names)).toBeUndefined();
  });
});
