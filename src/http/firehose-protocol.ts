/**
 * Firehose HTTP endpoint delivery, protocol 1.0:
 * https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
 */
export const FIREHOSE_HEADERS = {
  requestId: 'x-amz-firehose-request-id',
  accessKey: 'x-amz-firehose-access-key',
  protocolVersion: 'x-amz-firehose-protocol-version',
  sourceArn: 'x-amz-firehose-source-arn',
  commonAttributes: 'x-amz-firehose-common-attributes',
} as const;

const MAX_ERROR_MESSAGE = 8192;

/** Exactly these fields: Firehose treats a response with any other field as a failure. */
export interface FirehoseResponseBody {
  requestId: string;
  timestamp: number;
  errorMessage?: string;
}

export function firehoseResponse(requestId: string, status: number, errorMessage?: string): Response {
  const body: FirehoseResponseBody = { requestId, timestamp: Date.now() };
  if (errorMessage !== undefined) body.errorMessage = errorMessage.slice(0, MAX_ERROR_MESSAGE);
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
