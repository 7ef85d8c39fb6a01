import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { fixture, seedRecords } from '../../support/fixtures.js';
import { HTTP_METHODS, loadOpenApi, OpenApiValidator, pointerPart, type MediaTypeObject, type OpenApiDocument } from '../../support/openapi.js';

const doc = loadOpenApi();
const validator = new OpenApiValidator(doc);

/** Every media type object of the document, with the JSON pointer of its `schema`. */
function mediaTypes(document: OpenApiDocument): { where: string; pointer: string; media: MediaTypeObject }[] {
  const found: { where: string; pointer: string; media: MediaTypeObject }[] = [];
  const add = (where: string, base: string, content: Record<string, MediaTypeObject> | undefined) => {
    for (const [type, media] of Object.entries(content ?? {})) {
      found.push({ where: `${where} ${type}`, pointer: `${base}/content/${pointerPart(type)}/schema`, media });
    }
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const base = `/paths/${pointerPart(path)}/${method}`;
      add(`${method.toUpperCase()} ${path} request`, `${base}/requestBody`, operation.requestBody?.content);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!response.$ref) add(`${method.toUpperCase()} ${path} ${status}`, `${base}/responses/${status}`, response.content);
      }
    }
  }
  for (const [name, response] of Object.entries(document.components.responses ?? {})) {
    add(`components.responses.${name}`, `/components/responses/${pointerPart(name)}`, response.content);
  }
  return found;
}

describe('openapi.yaml as a document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
  });

  it('has schemas that are strict, compilable JSON Schema 2020-12', () => {
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      expect(validator.metaErrors(schema), name).toBeNull();
      expect(() => validator.schemaAt(`/components/schemas/${pointerPart(name)}`), name).not.toThrow();
    }
    for (const { where, pointer, media } of mediaTypes(doc)) {
      expect(media.schema, where).toBeDefined();
      expect(validator.metaErrors(media.schema), where).toBeNull();
      expect(() => validator.schemaAt(pointer), where).not.toThrow();
    }
  });

  it('has examples that validate against their schemas', () => {
    let checked = 0;
    for (const { where, pointer, media } of mediaTypes(doc)) {
      const examples = [...(media.example === undefined ? [] : [media.example]), ...Object.values(media.examples ?? {}).map((e) => e.value)];
      const check = validator.schemaAt(pointer);
      for (const example of examples) {
        expect(check(example), `${where}: ${JSON.stringify(check.errors)}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('describes real AWS payloads: Kinesis-for-DynamoDB records, a Lambda event, Firehose requests', () => {
    const schema = (name: string) => validator.schemaAt(`/components/schemas/${name}`);
    const expectValid = (name: string, value: unknown) => {
      const check = schema(name);
      expect(check(value), `${name}: ${JSON.stringify(check.errors)}`).toBe(true);
    };
    const kinesis = [...seedRecords(), fixture('kinesis/binary-double-base64-modify.json'), fixture('kinesis/millisecond-modify-unicode.json')];
    for (const record of kinesis) {
      expectValid('KinesisDynamoDbRecord', record);
      expectValid('CdcRecord', record);
    }
    const lambdaEvent = fixture<{ Records: unknown[] }>('streams/lambda-event.json');
    expectValid('DynamoDbStreamsLambdaEvent', lambdaEvent);
    expectValid('RecordsRequest', lambdaEvent);
    expectValid('RecordsRequest', kinesis);
    for (const record of lambdaEvent.Records) expectValid('CdcRecord', record);
    expectValid('FirehoseRequest', fixture('firehose-spec-request.json'));
    expectValid('FirehoseRequest', fixture('../../examples/seed-delivery.json'));
  });

  it('rejects what Firehose would reject: extra fields, a string timestamp', () => {
    const response = validator.schemaAt('/components/schemas/FirehoseResponse');
    expect(response({ requestId: 'r', timestamp: 1 })).toBe(true);
    expect(response({ requestId: 'r', timestamp: 1, errorMessage: 'x' })).toBe(true);
    expect(response({ requestId: 'r', timestamp: 1, status: 'ok' })).toBe(false);
    expect(response({ requestId: 'r', timestamp: '1578090903599' })).toBe(false);
    expect(response({ requestId: 'r', timestamp: 1.5 })).toBe(false);
    const attribute = validator.schemaAt('/components/schemas/AttributeValue');
    expect(attribute({ N: '1E+100' })).toBe(true);
    expect(attribute({ S: 'a', N: '1' })).toBe(false);
    expect(attribute({ SS: [] })).toBe(false);
  });
});
