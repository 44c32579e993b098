// A user's regular expression (expect, a stop script's expect step,
// readiness): compiled one way everywhere, multiline, so ^ and $ match at
// each line of what a user would see.

/** Compiles a user's pattern, or throws SyntaxError saying why. */
export function compilePattern(source: string): RegExp {
  return new RegExp(source, 'm');
}
