// VERSION: the software version recorded in run.json, model.json and manifests.
// Kept in step with package.json by hand (a test checks they agree).
export const VERSION = '0.1.0';
