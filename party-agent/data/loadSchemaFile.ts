// loadSchemaFile: reads a consortium schema from a JSON (or YAML) file and validates it.
// Errors name the file and, for content problems, the field path inside the schema.
import { readFile } from 'node:fs/promises';
import { parseSchema, type Schema } from '../../shared/schema/ConsortiumSchema.js';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';

export async function loadSchemaFile(path: string): Promise<Schema> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new FedsynthError(ErrorCode.NotFound, `schema file not found: ${path}`, { file: path });
  }
  let obj: unknown;
  try {
    if (/\.ya?ml$/i.test(path)) {
      // `yaml` is optional: present in most installs, declared as a dependency by the lead if kept.
      const yaml = (await import('yaml').catch(() => undefined)) as { parse(s: string): unknown } | undefined;
      if (!yaml) throw new FedsynthError(ErrorCode.InvalidSchema, `${path}: YAML schemas need the "yaml" package; use JSON`, { file: path });
      obj = yaml.parse(text);
    } else obj = JSON.parse(text);
  } catch (e) {
    if (e instanceof FedsynthError) throw e;
    throw new FedsynthError(ErrorCode.InvalidSchema, `${path}: not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(e as Error).message}`, { file: path });
  }
  try {
    return parseSchema(obj);
  } catch (e) {
    if (e instanceof FedsynthError) throw new FedsynthError(e.code, `${path}: ${e.message}`, { file: path, ...e.details });
    throw e;
  }
}
