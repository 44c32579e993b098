// What users declare, as plain data and its parsers: console specs, the
// Procfile and ptyplex.yaml, stop scripts and their one step grammar,
// durations and patterns. Every mistake names its file and line. Runs nothing.
// May import: poller, console.
export { ConfigError } from './config-error.js';
export { parseScriptFile, parseYamlConfig } from './config-yaml.js';
export { consoleSize, NAME_PATTERN, nameProblem, type ConsoleSpec } from './console-spec.js';
export { durationMs, MAX_DURATION_MS } from './duration.js';
export { compilePattern } from './pattern.js';
export { parseProcfile } from './procfile.js';
export { scriptsOf, stopOrder, type ConsoleScript, type ScriptJson } from './stop-script.js';
export { describeStep, readStep, signalOf, StepError, type Step, type StepForm } from './stop-step.js';
