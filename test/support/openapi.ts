import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

export const OPENAPI_FILE = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface MediaTypeObject {
  schema?: Record<string, unknown>;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}
interface ResponseObject {
  $ref?: string;
  content?: Record<string, MediaTypeObject>;
}
export interface OperationObject {
  responses: Record<string, ResponseObject>;
  requestBody?: { content: Record<string, MediaTypeObject> };
  security?: Record<string, string[]>[];
  parameters?: { $ref?: string; name?: string; in?: string }[];
}
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, OperationObject>>;
  components: {
    schemas: Record<string, Record<string, unknown>>;
    responses?: Record<string, ResponseObject>;
    parameters?: Record<string, { name: string; in: string }>;
    securitySchemes?: Record<string, { type: string; in?: string; name?: string; scheme?: string }>;
  };
  [field: string]: unknown;
}

/** openapi.yaml as parsed YAML: a fresh copy on every call, since validators may change what they get. */
export function loadOpenApi(): OpenApiDocument {
  return parse(readFileSync(OPENAPI_FILE, 'utf8')) as OpenApiDocument;
}

/** `/records` → `~1records`, for JSON pointers. */
export function pointerPart(part: string): string {
  return part.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Follows a local `$ref` (`#/components/responses/X`) once, if there is one. */
export function resolveLocal<T extends { $ref?: string }>(doc: OpenApiDocument, value: T): T {
  if (!value.$ref) return value;
  if (!value.$ref.startsWith('#/')) throw new Error(`only local $refs are expected, got ${value.$ref}`);
  let node: unknown = doc;
  for (const part of value.$ref.slice(2).split('/')) {
    node = (node as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
    if (node === undefined) throw new Error(`$ref ${value.$ref} does not resolve`);
  }
  return node as T;
}

const DOCUMENT_ID = 'openapi.yaml';

/**
 * JSON Schema validation against the schemas of openapi.yaml. OpenAPI 3.1 schemas are JSON Schema
 * 2020-12, so the whole document is added to Ajv and schemas are reached by JSON pointer: their
 * `$ref`s to `#/components/schemas/…` then resolve as in the document. Ajv is strict, so an unknown
 * keyword or a misspelt type in a schema fails the test instead of being silently ignored.
 */
export class OpenApiValidator {
  private readonly ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });

  constructor(readonly doc: OpenApiDocument) {
    // The document's own fields and OpenAPI's additions to JSON Schema: annotations to Ajv.
    for (const keyword of ['openapi', 'info', 'servers', 'paths', 'components', 'tags', 'security', 'webhooks', 'externalDocs', 'discriminator', 'xml']) {
      this.ajv.addKeyword(keyword);
    }
    this.ajv.addSchema(doc as object, DOCUMENT_ID);
  }

  /** The compiled validator of the schema at `pointer`, e.g. `/components/schemas/FirehoseRequest`. */
  schemaAt(pointer: string): ValidateFunction {
    const validate = this.ajv.getSchema(`${DOCUMENT_ID}#${pointer}`);
    if (!validate) throw new Error(`no schema at ${pointer}`);
    return validate;
  }

  /** Checks a schema object (not its `$ref` targets) against the JSON Schema 2020-12 meta-schema. */
  metaErrors(schema: unknown): string | null {
    return this.ajv.validateSchema(schema as object) ? null : this.ajv.errorsText(this.ajv.errors);
  }

  /**
   * Validates a real response against what the document says for this path, method and status.
   * Returns the problems, or [] when the response is as documented.
   */
  async checkResponse(path: string, method: string, response: Response): Promise<string[]> {
    const operation = this.doc.paths[path]?.[method.toLowerCase()];
    if (!operation) return [`${method} ${path} is not documented`];
    const documented = operation.responses[String(response.status)] ?? operation.responses.default;
    if (!documented) return [`${method} ${path} does not document status ${response.status}`];
    const content = resolveLocal(this.doc, documented).content ?? {};
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!(mediaType in content)) return [`${method} ${path} ${response.status}: Content-Type ${mediaType || '(none)'} is not documented`];
    const responseRef = documented.$ref ? documented.$ref.slice(1) : `/paths/${pointerPart(path)}/${method.toLowerCase()}/responses/${response.status}`;
    const validate = this.schemaAt(`${responseRef}/content/${pointerPart(mediaType)}/schema`);
    const body: unknown = JSON.parse(await response.clone().text());
    return validate(body) ? [] : errorLines(validate.errors, body);
  }
}

function errorLines(errors: ErrorObject[] | null | undefined, body: unknown): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)} in ${JSON.stringify(body)}`);
}
