// A mistake in a file the user gave us, located by file and line: the CLI
// prints it as one line ("ptyplex.yaml:7: cwd must be a string").
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
  }
}
