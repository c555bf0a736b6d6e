/**
 * Schema-driven wire encoder: turns a sandbox handler's output (or error) into the HTTP
 * response AWS would send, so that the SDK's own deserializers, error classes and retry
 * classification run on every sandbox answer.
 *
 * The encoder walks the operation's output schema (the SDK's `schemas_0.js`, read through
 * `NormalizedSchema`) once per shape and caches a compiled writer, so encoding a page of 1000
 * snapshots is string concatenation, not a tree walk with allocations.
 *
 * Wire facts followed (see test/fixtures/wire/README.md for the recorded bodies):
 * - ec2Query: `<OpResponse xmlns=…><requestId>…` with no Result wrapper; lists are
 *   `<xxxSet><item>`; element names from the `xmlName` trait (lowerCamel).
 * - awsQuery: `<OpResponse><OpResult>…</OpResult><ResponseMetadata>…`; lists of `<member>`.
 * - restXml (S3): root is the output's xmlName, flattened lists repeat the element, HTTP-bound
 *   members go to headers.
 * - awsJson / restJson: timestamps as epoch seconds (numbers) unless a format trait says otherwise.
 * - Errors: EC2 `<Response><Errors><Error>`, Query `<ErrorResponse><Error><Type>`, S3 bare
 *   `<Error>`, JSON `__type` + `x-amzn-errortype` (+ `x-amzn-query-error` for query-compatible
 *   JSON services such as CloudWatch).
 */
import { NormalizedSchema } from '@smithy/core/schema';

export type WireProtocol = 'restXml' | 'ec2Query' | 'awsQuery' | 'awsJson1_0' | 'awsJson1_1' | 'restJson1';

export interface WireResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** XML namespaces by service key, as AWS sends them (the SDK ignores them, AWS always sends one). */
const XMLNS: Record<string, string> = {
  ec2: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  s3: 'http://s3.amazonaws.com/doc/2006-03-01/',
  autoscaling: 'http://autoscaling.amazonaws.com/doc/2011-01-01/',
  elasticloadbalancingv2: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  cloudwatch: 'http://monitoring.amazonaws.com/doc/2010-08-01/',
};

const JSON_CONTENT_TYPE: Record<string, string> = {
  awsJson1_0: 'application/x-amz-json-1.0',
  awsJson1_1: 'application/x-amz-json-1.1',
  restJson1: 'application/json',
};

/** Services that speak JSON but are `awsQueryCompatible`: AWS adds the query error code in a header. */
const QUERY_COMPATIBLE = new Set(['cloudwatch']);

let requestSequence = 0;
/** A request id of AWS's shape (a UUID), deterministic per process. */
export function nextRequestId(): string {
  requestSequence += 1;
  const hex = requestSequence.toString(16).padStart(12, '0');
  return `5a4d1c2e-0000-4000-8000-${hex}`;
}

const encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Scalars

const XML_SPECIAL = /[&<>\r"]/;
function xmlEscape(text: string): string {
  if (!XML_SPECIAL.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;').replace(/"/g, '&quot;');
}

/**
 * Strict mode (TRIMTAB_WIRE_STRICT=1): a member the handler returns that the model does not
 * have is an error instead of being dropped, to find sandbox outputs AWS could not send.
 */
let strictNow = false;
/** Read once per answer: process.env is slow to read per structure. */
const strict = () => strictNow;
function checkMembers(value: Record<string, unknown>, known: Set<string>, shape: string) {
  for (const key of Object.keys(value)) {
    if (!known.has(key) && value[key] !== undefined) throw new TypeError(`Sandbox output ${shape}: '${key}' is not a member of the AWS model.`);
  }
}

const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(value as string | number));

function badValue(where: string, expected: string, value: unknown): Error {
  return new TypeError(`Sandbox output ${where}: expected ${expected}, got ${typeof value} ${JSON.stringify(value)?.slice(0, 80)}`);
}

/** Timestamp schema ids: 4 = protocol default, 5 = date-time, 6 = http-date, 7 = epoch-seconds. */
function formatTimestamp(value: unknown, schemaId: number, protocolDefault: 5 | 7): string | number {
  const date = toDate(value);
  if (Number.isNaN(date.getTime())) throw badValue('timestamp', 'a date', value);
  const format = schemaId === 4 ? protocolDefault : schemaId;
  if (format === 6) return date.toUTCString();
  if (format === 7) return date.getTime() / 1000;
  return date.toISOString();
}

const numberText = (n: number) => (Number.isNaN(n) ? 'NaN' : n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : String(n));

function scalarText(ns: NormalizedSchema, value: unknown, where: string): string {
  if (ns.isTimestampSchema()) return String(formatTimestamp(value, ns.getSchema() as number, 5));
  if (ns.isBooleanSchema()) {
    if (typeof value !== 'boolean') throw badValue(where, 'a boolean', value);
    return value ? 'true' : 'false';
  }
  if (ns.isNumericSchema() || ns.isBigIntegerSchema() || ns.isBigDecimalSchema()) {
    if (typeof value !== 'number' && typeof value !== 'bigint') throw badValue(where, 'a number', value);
    return typeof value === 'number' ? numberText(value) : String(value);
  }
  if (ns.isBlobSchema()) return Buffer.from(value as Uint8Array | string).toString('base64');
  if (typeof value !== 'string') throw badValue(where, 'a string', value);
  return xmlEscape(value);
}

// ---------------------------------------------------------------------------------------------
// XML

/** Writes the content of a shape (without its own element), appending to `out`. */
type XmlWriter = (value: any, out: string[]) => void;

const xmlWriters = new WeakMap<object, XmlWriter>();

/** The writer for a member: its element(s) around the target's content. */
function xmlMemberWriter(member: NormalizedSchema, name: string): XmlWriter {
  const traits = member.getMergedTraits() as Record<string, any>;
  const where = member.getMemberName() ?? name;
  if (member.isListSchema()) {
    const item = member.getValueSchema();
    const itemWriter = xmlContentWriter(item);
    if (traits.xmlFlattened) {
      return (value, out) => {
        if (!Array.isArray(value)) throw badValue(where, 'a list', value);
        for (const v of value) {
          if (v == null) continue;
          out.push(`<${name}>`);
          itemWriter(v, out);
          out.push(`</${name}>`);
        }
      };
    }
    const itemName = (item.getMergedTraits() as Record<string, any>).xmlName ?? 'member';
    return (value, out) => {
      if (!Array.isArray(value)) throw badValue(where, 'a list', value);
      // AWS sends an empty list as an empty element (`<tagSet/>`), which the SDK reads as [].
      if (value.length === 0) return void out.push(`<${name}/>`);
      out.push(`<${name}>`);
      for (const v of value) {
        if (v == null) continue;
        out.push(`<${itemName}>`);
        itemWriter(v, out);
        out.push(`</${itemName}>`);
      }
      out.push(`</${name}>`);
    };
  }
  if (member.isMapSchema()) {
    const keyName = (member.getKeySchema().getMergedTraits() as Record<string, any>).xmlName ?? 'key';
    const valueSchema = member.getValueSchema();
    const valueName = (valueSchema.getMergedTraits() as Record<string, any>).xmlName ?? 'value';
    const valueWriter = xmlContentWriter(valueSchema);
    const entry = (k: string, v: unknown, out: string[]) => {
      out.push(`<${keyName}>${xmlEscape(k)}</${keyName}><${valueName}>`);
      valueWriter(v, out);
      out.push(`</${valueName}>`);
    };
    if (traits.xmlFlattened) {
      return (value, out) => {
        for (const [k, v] of Object.entries(value ?? {})) {
          out.push(`<${name}>`);
          entry(k, v, out);
          out.push(`</${name}>`);
        }
      };
    }
    return (value, out) => {
      out.push(`<${name}>`);
      for (const [k, v] of Object.entries(value ?? {})) {
        out.push('<entry>');
        entry(k, v, out);
        out.push('</entry>');
      }
      out.push(`</${name}>`);
    };
  }
  const content = xmlContentWriter(member);
  return (value, out) => {
    out.push(`<${name}>`);
    content(value, out);
    out.push(`</${name}>`);
  };
}

/** The writer for a shape's content: struct members, or a scalar's text. */
function xmlContentWriter(ns: NormalizedSchema): XmlWriter {
  if (ns.isStructSchema()) {
    const key = ns.getSchema() as object;
    const cached = xmlWriters.get(key);
    if (cached) return cached;
    let members: [string, XmlWriter][] | undefined;
    let known: Set<string> | undefined;
    const writer: XmlWriter = (value, out) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badValue(ns.getName() ?? 'structure', 'an object', value);
      if (strict()) checkMembers(value, (known ??= new Set(members!.map(([name]) => name))), ns.getName() ?? 'structure');
      for (const [memberName, write] of members!) {
        const v = value[memberName];
        if (v != null) write(v, out);
      }
    };
    // Registered before the members compile, so recursive shapes terminate.
    xmlWriters.set(key, writer);
    members = [...ns.structIterator()].map(([memberName, member]) => [
      memberName,
      xmlMemberWriter(member, (member.getMemberTraits() as Record<string, any>).xmlName ?? memberName),
    ]);
    return writer;
  }
  if (ns.isDocumentSchema()) return (value, out) => void out.push(xmlEscape(String(value)));
  const where = ns.getMemberName() ?? ns.getName() ?? 'value';
  // The common kinds decided once per shape, not per value.
  if (ns.isStringSchema()) {
    return (value, out) => {
      if (typeof value !== 'string') throw badValue(where, 'a string', value);
      out.push(xmlEscape(value));
    };
  }
  if (ns.isTimestampSchema()) {
    const id = ns.getSchema() as number;
    return (value, out) => void out.push(String(formatTimestamp(value, id, 5)));
  }
  return (value, out) => void out.push(scalarText(ns, value, where));
}

// ---------------------------------------------------------------------------------------------
// JSON

type JsonWriter = (value: any) => unknown;
const jsonWriters = new Map<string, WeakMap<object, JsonWriter>>();

function jsonWriter(ns: NormalizedSchema, useJsonName: boolean): JsonWriter {
  if (ns.isStructSchema()) {
    const mode = useJsonName ? 'rest' : 'rpc';
    let cache = jsonWriters.get(mode);
    if (!cache) jsonWriters.set(mode, (cache = new WeakMap()));
    const key = ns.getSchema() as object;
    const cached = cache.get(key);
    if (cached) return cached;
    let members: [string, string, JsonWriter][] | undefined;
    let known: Set<string> | undefined;
    const writer: JsonWriter = (value) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badValue(ns.getName() ?? 'structure', 'an object', value);
      if (strict()) checkMembers(value, (known ??= new Set(members!.map(([name]) => name))), ns.getName() ?? 'structure');
      const out: Record<string, unknown> = {};
      for (const [memberName, wireName, write] of members!) {
        const v = value[memberName];
        if (v != null) out[wireName] = write(v);
      }
      return out;
    };
    cache.set(key, writer);
    members = [...ns.structIterator()].map(([memberName, member]) => {
      const jsonName = useJsonName ? (member.getMergedTraits() as Record<string, any>).jsonName : undefined;
      return [memberName, jsonName ?? memberName, jsonWriter(member, useJsonName)];
    });
    return writer;
  }
  if (ns.isListSchema()) {
    const item = jsonWriter(ns.getValueSchema(), useJsonName);
    const where = ns.getMemberName() ?? 'list';
    return (value) => {
      if (!Array.isArray(value)) throw badValue(where, 'a list', value);
      return value.map(item);
    };
  }
  if (ns.isMapSchema()) {
    const item = jsonWriter(ns.getValueSchema(), useJsonName);
    return (value) => Object.fromEntries(Object.entries(value ?? {}).map(([k, v]) => [k, item(v)]));
  }
  if (ns.isTimestampSchema()) {
    const id = ns.getSchema() as number;
    return (value) => formatTimestamp(value, id, 7);
  }
  if (ns.isBlobSchema()) return (value) => Buffer.from(value).toString('base64');
  if (ns.isNumericSchema()) {
    const where = ns.getMemberName() ?? 'number';
    return (value) => {
      if (typeof value !== 'number') throw badValue(where, 'a number', value);
      return Number.isFinite(value) ? value : numberText(value);
    };
  }
  if (ns.isBooleanSchema()) {
    const where = ns.getMemberName() ?? 'boolean';
    return (value) => {
      if (typeof value !== 'boolean') throw badValue(where, 'a boolean', value);
      return value;
    };
  }
  if (ns.isStringSchema()) {
    const where = ns.getMemberName() ?? 'string';
    return (value) => {
      if (typeof value !== 'string') throw badValue(where, 'a string', value);
      return value;
    };
  }
  return (value) => value;
}

/** Schema-less JSON (clients with generated deserializers): dates as epoch seconds. */
function plainJson(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(plainJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v != null) out[k] = plainJson(v);
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Responses

export interface EncodeCall {
  service: string;
  operation: string;
  protocol: WireProtocol;
  /** The SDK's operation schema tuple ([, ns, name, traits, input, output]); absent for generated clients. */
  operationSchema?: readonly unknown[];
}

/** HTTP-bound output members (rest protocols): headers, response code, payload. */
function splitHttpBindings(output: NormalizedSchema, value: Record<string, any>, headers: Record<string, string>) {
  let statusCode = 200;
  let payload: [NormalizedSchema, unknown] | undefined;
  const body: [string, NormalizedSchema][] = [];
  for (const [name, member] of output.structIterator()) {
    const traits = member.getMergedTraits() as Record<string, any>;
    const v = value[name];
    if (traits.httpHeader) {
      if (v != null) headers[String(traits.httpHeader).toLowerCase()] = member.isTimestampSchema() ? toDate(v).toUTCString() : String(v);
    } else if (traits.httpPrefixHeaders !== undefined) {
      for (const [k, hv] of Object.entries(v ?? {})) headers[`${traits.httpPrefixHeaders}${k}`.toLowerCase()] = String(hv);
    } else if (traits.httpResponseCode) {
      if (typeof v === 'number') statusCode = v;
    } else if (traits.httpPayload) {
      payload = [member, v];
    } else {
      body.push([name, member]);
    }
  }
  return { statusCode, payload, body };
}

function xmlRootName(ns: NormalizedSchema): string {
  return (ns.getMergedTraits() as Record<string, any>).xmlName ?? ns.getName() ?? 'Output';
}

const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>';

/** The HTTP response AWS would send for a successful call with this output. */
export function encodeOutput(call: EncodeCall, output: unknown): WireResponse {
  strictNow = process.env.TRIMTAB_WIRE_STRICT === '1';
  const requestId = nextRequestId();
  const value = (output ?? {}) as Record<string, any>;
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
  const outputSchema = call.operationSchema?.[5];
  const normalized = outputSchema === undefined ? undefined : NormalizedSchema.of(outputSchema as any);
  const ns = normalized && !normalized.isUnitSchema() ? normalized : undefined;
  const xmlns = XMLNS[call.service] ?? `http://${call.service}.amazonaws.com/doc/`;
  switch (call.protocol) {
    case 'ec2Query':
    case 'awsQuery': {
      headers['content-type'] = 'text/xml;charset=UTF-8';
      const out: string[] = [XML_DECL, `<${call.operation}Response xmlns="${xmlns}">`];
      if (call.protocol === 'ec2Query') out.push(`<requestId>${requestId}</requestId>`);
      if (ns && call.protocol === 'awsQuery') out.push(`<${call.operation}Result>`);
      if (ns) xmlContentWriter(ns)(value, out);
      if (ns && call.protocol === 'awsQuery') out.push(`</${call.operation}Result>`);
      if (call.protocol === 'awsQuery') out.push(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>`);
      out.push(`</${call.operation}Response>`);
      return { statusCode: 200, headers, body: encoder.encode(out.join('')) };
    }
    case 'restXml': {
      headers['x-amz-request-id'] = requestId;
      headers['x-amz-id-2'] = Buffer.from(requestId).toString('base64');
      if (!ns) return { statusCode: 200, headers, body: new Uint8Array() };
      const { statusCode, payload, body } = splitHttpBindings(ns, value, headers);
      let xml = '';
      if (payload) {
        const [member, v] = payload;
        if (v != null && member.isStructSchema()) {
          const name = (member.getMergedTraits() as Record<string, any>).xmlName ?? member.getName() ?? member.getMemberName();
          const out: string[] = [XML_DECL, `<${name} xmlns="${xmlns}">`];
          xmlContentWriter(member)(v, out);
          out.push(`</${name}>`);
          xml = out.join('');
        } else if (v != null) {
          xml = typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8');
        }
      } else if (body.length) {
        const root = xmlRootName(ns);
        // A body that is one text element named like the root (GetBucketLocation's
        // `<LocationConstraint>eu-west-1</LocationConstraint>`).
        if (body.length === 1 && ((body[0][1].getMemberTraits() as Record<string, any>).xmlName ?? body[0][0]) === root && !body[0][1].isStructSchema() && !body[0][1].isListSchema()) {
          const v = value[body[0][0]];
          xml = v == null ? `${XML_DECL}<${root} xmlns="${xmlns}"/>` : `${XML_DECL}<${root} xmlns="${xmlns}">${scalarText(body[0][1], v, root)}</${root}>`;
        } else {
          const out: string[] = [XML_DECL, `<${root} xmlns="${xmlns}">`];
          for (const [name, member] of body) {
            const v = value[name];
            if (v != null) xmlMemberWriter(member, (member.getMemberTraits() as Record<string, any>).xmlName ?? name)(v, out);
          }
          out.push(`</${root}>`);
          xml = out.join('');
        }
      }
      if (xml) headers['content-type'] = 'application/xml';
      return { statusCode, headers, body: encoder.encode(xml) };
    }
    case 'awsJson1_0':
    case 'awsJson1_1':
    case 'restJson1': {
      headers['content-type'] = JSON_CONTENT_TYPE[call.protocol];
      if (!call.operationSchema) return { statusCode: 200, headers, body: encoder.encode(JSON.stringify(plainJson(value))) };
      if (!ns) return { statusCode: 200, headers, body: encoder.encode('{}') };
      if (call.protocol !== 'restJson1') return { statusCode: 200, headers, body: encoder.encode(JSON.stringify(jsonWriter(ns, false)(value))) };
      const { statusCode, payload, body } = splitHttpBindings(ns, value, headers);
      let json: unknown = {};
      if (payload) json = payload[1] == null ? {} : jsonWriter(payload[0], true)(payload[1]);
      else {
        const out: Record<string, unknown> = {};
        for (const [name, member] of body) {
          const v = value[name];
          if (v != null) out[(member.getMergedTraits() as Record<string, any>).jsonName ?? name] = jsonWriter(member, true)(v);
        }
        json = out;
      }
      return { statusCode, headers, body: encoder.encode(JSON.stringify(json)) };
    }
  }
}

/** The HTTP error response AWS would send for this error code. */
export function encodeError(call: Pick<EncodeCall, 'service' | 'protocol'>, code: string, message: string, status: number): WireResponse {
  const requestId = nextRequestId();
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
  const text = xmlEscape(message);
  switch (call.protocol) {
    case 'ec2Query':
      headers['content-type'] = 'text/xml;charset=UTF-8';
      return {
        statusCode: status,
        headers,
        body: encoder.encode(`${XML_DECL}<Response><Errors><Error><Code>${xmlEscape(code)}</Code><Message>${text}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`),
      };
    case 'awsQuery':
      headers['content-type'] = 'text/xml';
      return {
        statusCode: status,
        headers,
        body: encoder.encode(
          `<ErrorResponse xmlns="${XMLNS[call.service] ?? ''}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${xmlEscape(code)}</Code><Message>${text}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        ),
      };
    case 'restXml':
      headers['x-amz-request-id'] = requestId;
      headers['x-amz-id-2'] = Buffer.from(requestId).toString('base64');
      headers['content-type'] = 'application/xml';
      return {
        statusCode: status,
        headers,
        body: encoder.encode(`${XML_DECL}<Error><Code>${xmlEscape(code)}</Code><Message>${text}</Message><RequestId>${requestId}</RequestId><HostId>${headers['x-amz-id-2']}</HostId></Error>`),
      };
    default:
      headers['content-type'] = JSON_CONTENT_TYPE[call.protocol];
      headers['x-amzn-errortype'] = code;
      if (QUERY_COMPATIBLE.has(call.service)) headers['x-amzn-query-error'] = `${code};${status >= 500 ? 'Receiver' : 'Sender'}`;
      return { statusCode: status, headers, body: encoder.encode(JSON.stringify({ __type: code, message })) };
  }
}
