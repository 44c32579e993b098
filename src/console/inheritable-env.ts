/**
 * Our environment without the Node IPC channel we may have been started
 * with (fork()): a console's program, or a background server, is not our
 * parent's child and must not take its channel fd for its own.
 */
export function inheritableEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_CHANNEL_FD;
  delete env.NODE_CHANNEL_SERIALIZATION_MODE;
  return env;
}
