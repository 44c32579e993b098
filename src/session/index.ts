export { ConfigError } from './config-error.js';
export { parseYamlConfig } from './config-yaml.js';
export { consoleSize, NAME_PATTERN, type ConsoleSpec } from './console-spec.js';
export { describeEnd, runStatus, statusCode, SUCCESS_POLICIES, type SuccessPolicy } from './exit-status.js';
export { parseProcfile } from './procfile.js';
export { Session, type ConsoleEnd, type RunningConsole } from './session.js';
export * from './sinks/index.js';
export { tee } from './tee.js';
