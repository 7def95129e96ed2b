// Just enough JSON Schema (as OpenAPI 3.0 uses it) to check requests against 8x8's published schemas.

/** A schema object from an OpenAPI document. */
export type Schema = {
  $ref?: string;
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  format?: string;
  anyOf?: Schema[];
};

/** Lists every way `value` breaks `schema`; `$ref`s are resolved inside `document`. */
export function violations(document: unknown, schema: Schema, value: unknown, path = "body"): string[] {
  if (schema.$ref !== undefined) return violations(document, resolve(document, schema.$ref), value, path);
  if (value === undefined) return [];
  if (schema.anyOf !== undefined) {
    const each = schema.anyOf.map((option) => violations(document, option, value, path));
    if (each.some((found) => found.length === 0)) return [];
    // Report the alternative that came closest, which is usually the one that was meant.
    return each.reduce((best, found) => (found.length < best.length ? found : best));
  }
  const found: string[] = [];
  if (schema.type !== undefined && !hasType(value, schema.type)) return [`${path}: expected ${schema.type}`];
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    found.push(`${path}: not one of ${schema.enum}`);
  }
  if (typeof value === "string") {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      found.push(`${path}: does not match ${schema.pattern}`);
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) found.push(`${path}: too long`);
    if (schema.minLength !== undefined && value.length < schema.minLength) found.push(`${path}: too short`);
    if (schema.format === "date-time" && !isDateTime(value)) found.push(`${path}: not a date-time`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) found.push(`${path}: below minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) found.push(`${path}: above maximum`);
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, index) =>
      found.push(...violations(document, schema.items!, item, `${path}[${index}]`))
    );
  }
  if (isObject(value)) {
    for (const name of schema.required ?? []) {
      if (!(name in value)) found.push(`${path}.${name}: required`);
    }
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      found.push(...violations(document, property, value[name], `${path}.${name}`));
    }
  }
  return found;
}

/** Follows a local `#/a/b` reference, decoding `~1` and `%7B` escapes as OpenAPI files use them. */
export function resolve(document: unknown, ref: string): Schema {
  let node: unknown = document;
  for (const raw of ref.replace(/^#\//, "").split("/")) {
    const key = decodeURIComponent(raw.replaceAll("~1", "/").replaceAll("~0", "~"));
    node = (node as Record<string, unknown>)[key];
  }
  if (node === undefined) throw new Error(`unresolvable $ref ${ref}`);
  return node as Schema;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    default:
      throw new Error(`unsupported schema type ${type}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// RFC 3339, as OpenAPI's `date-time` format requires: a time zone is mandatory.
function isDateTime(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
    !Number.isNaN(Date.parse(value));
}
