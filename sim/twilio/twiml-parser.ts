// Just enough XML for TwiML: elements, attributes, text, CDATA, comments and the prolog, with the
// five named entities and character references. No DTDs or namespaces (TwiML uses neither).

export type XmlElement = { name: string; attributes: Record<string, string>; children: XmlNode[] };
export type XmlNode = XmlElement | { text: string };

export class XmlParseError extends Error {
  override readonly name = 'XmlParseError';
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The document's root element; throws XmlParseError naming the position of the first problem. */
export function parseXml(text: string): XmlElement {
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (why: string): never => {
    throw new XmlParseError(`${why} at offset ${at}`);
  };
  const skipMisc = () => {
    for (;;) {
      while (at < text.length && /\s/.test(text[at])) at++;
      if (text.startsWith('<?', at)) {
        const end = text.indexOf('?>', at);
        if (end < 0) fail('unterminated processing instruction');
        at = end + 2;
      } else if (text.startsWith('<!--', at)) {
        const end = text.indexOf('-->', at);
        if (end < 0) fail('unterminated comment');
        at = end + 3;
      } else if (text.startsWith('<!DOCTYPE', at)) {
        fail('DOCTYPE is not allowed');
      } else return;
    }
  };
  const name = (): string => {
    NAME.lastIndex = at;
    const m = NAME.exec(text);
    if (!m) fail('expected a name');
    at += m![0].length;
    return m![0];
  };
  const decode = (raw: string): string =>
    raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (whole, ref: string | undefined) => {
      if (ref === undefined) fail(`bare "&" in "${raw.slice(0, 40)}"`);
      if (ref!.startsWith('#x')) return String.fromCodePoint(parseInt(ref!.slice(2), 16));
      if (ref!.startsWith('#')) return String.fromCodePoint(parseInt(ref!.slice(1), 10));
      const value = ENTITIES[ref!];
      if (value === undefined) fail(`unknown entity &${ref};`);
      return value ?? whole;
    });
  const element = (): XmlElement => {
    if (text[at] !== '<') fail('expected "<"');
    at++;
    const el: XmlElement = { name: name(), attributes: {}, children: [] };
    for (;;) {
      while (/\s/.test(text[at] ?? '')) at++;
      if (text.startsWith('/>', at)) {
        at += 2;
        return el;
      }
      if (text[at] === '>') {
        at++;
        break;
      }
      const attr = name();
      while (/\s/.test(text[at] ?? '')) at++;
      if (text[at] !== '=') fail(`attribute ${attr} without a value`);
      at++;
      while (/\s/.test(text[at] ?? '')) at++;
      const quote = text[at];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr} value not quoted`);
      const end = text.indexOf(quote, at + 1);
      if (end < 0) fail(`unterminated value of attribute ${attr}`);
      if (Object.hasOwn(el.attributes, attr)) fail(`attribute ${attr} repeated`);
      el.attributes[attr] = decode(text.slice(at + 1, end));
      at = end + 1;
    }
    for (;;) {
      if (at >= text.length) fail(`<${el.name}> not closed`);
      if (text.startsWith('</', at)) {
        at += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        while (/\s/.test(text[at] ?? '')) at++;
        if (text[at] !== '>') fail('expected ">"');
        at++;
        return el;
      }
      if (text.startsWith('<!--', at)) {
        const end = text.indexOf('-->', at);
        if (end < 0) fail('unterminated comment');
        at = end + 3;
      } else if (text.startsWith('<![CDATA[', at)) {
        const end = text.indexOf(']]>', at);
        if (end < 0) fail('unterminated CDATA');
        el.children.push({ text: text.slice(at + 9, end) });
        at = end + 3;
      } else if (text[at] === '<') {
        el.children.push(element());
      } else {
        const end = text.indexOf('<', at);
        const raw = text.slice(at, end < 0 ? text.length : end);
        el.children.push({ text: decode(raw) });
        at += raw.length;
      }
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (at < text.length) fail('content after the root element');
  return root;
}

export function isElement(node: XmlNode): node is XmlElement {
  return 'name' in node;
}

/** The element's text content (its own text and its descendants'), trimmed. */
export function textOf(el: XmlElement): string {
  const parts: string[] = [];
  const walk = (node: XmlNode) => {
    if (isElement(node)) node.children.forEach(walk);
    else parts.push(node.text);
  };
  walk(el);
  return parts.join('').trim();
}

export function childElements(el: XmlElement): XmlElement[] {
  return el.children.filter(isElement);
}
