/**
 * The Apache Ant / Jenkins JUnit format (reports/junit/JUnit.xsd, which the tests validate against),
 * shared by the drill's and verify's junit.xml. The schema allows no output inside a testcase: each
 * testcase's one-line account goes to its suite's <system-out>.
 */

export type Outcome =
  | { kind: 'pass' }
  | { kind: 'failure' | 'error' | 'skipped'; type: string; message: string; body?: string };

export interface Case {
  readonly name: string;
  readonly seconds: number;
  readonly outcome: Outcome;
  /** One line for the suite's system-out. */
  readonly line: string;
}

export interface Suite {
  readonly name: string;
  readonly package: string;
  /** ISO time the suite started (UTC). */
  readonly startedAt: string;
  readonly seconds: number;
  readonly properties: readonly (readonly [string, string])[];
  readonly cases: readonly Case[];
  /** Lines ahead of the testcases' own in <system-out>. */
  readonly header: readonly string[];
}

export function junitDocument(suites: readonly Suite[]): string {
  const body = suites.map((s, id) => suiteXml(s, id)).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${body}</testsuites>\n`;
}

function suiteXml(s: Suite, id: number): string {
  const count = (k: Outcome['kind']) => s.cases.filter((c) => c.outcome.kind === k).length;
  const attrs = {
    name: s.name,
    package: s.package,
    id,
    // The Ant schema wants a local time without zone: the UTC time, as UTC.
    timestamp: s.startedAt.slice(0, 19),
    // results.json does not say which host ran it; the schema's own stand-in.
    hostname: 'localhost',
    tests: s.cases.length,
    failures: count('failure'),
    errors: count('error'),
    skipped: count('skipped'),
    time: s.seconds.toFixed(3),
  };
  const props = s.properties.map(([name, value]) => `      <property${attributes({ name, value })}/>\n`);
  const out = [...s.header, ...s.cases.map((c) => `${c.name}: ${c.line}`)].join('\n');
  return [
    `  <testsuite${attributes(attrs)}>\n`,
    `    <properties>\n${props.join('')}    </properties>\n`,
    ...s.cases.map((c) => testcase(s.name, c)),
    `    <system-out>${xmlText(`${out}\n`)}</system-out>\n`,
    '    <system-err></system-err>\n',
    '  </testsuite>\n',
  ].join('');
}

function testcase(classname: string, c: Case): string {
  const open = `    <testcase${attributes({ name: c.name, classname, time: c.seconds.toFixed(3) })}`;
  const o = c.outcome;
  if (o.kind === 'pass') return `${open}/>\n`;
  const inner = `<${o.kind}${attributes({ type: o.type, message: o.message })}>${xmlText(o.body ?? '')}</${o.kind}>`;
  return `${open}>\n      ${inner}\n    </testcase>\n`;
}

// XML 1.0 allows only these characters. etcd's words (a panic, a corrupt page) can hold others: they are
// written as \u{…} so the evidence survives and the file still parses.
const ILLEGAL = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const visible = (s: string) =>
  s.replace(ILLEGAL, (ch) => `\\u{${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}}`);

export function xmlText(s: string): string {
  return visible(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values keep their tabs and line breaks as character references (else they become spaces). */
export function xmlAttr(s: string): string {
  return xmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

const attributes = (a: Record<string, string | number>) =>
  Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
