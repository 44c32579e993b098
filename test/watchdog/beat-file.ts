// The name of a test file's heartbeat file: one flat name per test path.
export const beatFile = (testPath: string): string => encodeURIComponent(testPath);
