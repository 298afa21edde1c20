/** A protobuf text-format value: scalars, messages (`{ }`) and lists (`[ ]`). */
export type PbValue = string | number | PbMessage | PbValue[];
export interface PbMessage {
  [field: string]: PbValue;
}

/** Parses the subset of protobuf text format that Triton configs use; throws on anything else. */
export function parsePbtxt(text: string): PbMessage {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|[{}[\]:,]|[^\s{}[\]:,"]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const token = tokens[i++];
    if (token === undefined || (expected !== undefined && token !== expected)) {
      throw new Error(`pbtxt: expected ${expected ?? 'a token'} at token ${i - 1}, got ${token ?? 'the end'}`);
    }
    return token;
  };
  const scalar = (token: string): string | number =>
    token.startsWith('"') ? (JSON.parse(token) as string) : /^-?\d+(\.\d+)?$/.test(token) ? Number(token) : token;
  const value = (): PbValue => {
    const token = take();
    if (token === '{') return message('}');
    if (token === '[') {
      const items: PbValue[] = [];
      while (peek() !== ']') {
        items.push(value());
        if (peek() === ',') take(',');
      }
      take(']');
      return items;
    }
    return scalar(token);
  };
  const message = (end: string | undefined): PbMessage => {
    const fields: PbMessage = {};
    while (peek() !== end) {
      const name = take();
      if (peek() === ':') take(':');
      fields[name] = value();
    }
    if (end !== undefined) take(end);
    return fields;
  };
  return message(undefined);
}
