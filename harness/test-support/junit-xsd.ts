import { readFileSync } from 'node:fs';
import { validateXML } from 'xmllint-wasm';

const XSD = new URL('../../reports/junit/JUnit.xsd', import.meta.url);

/** libxml2's own validation of a junit.xml against the Ant/Jenkins JUnit schema kept in the repo. */
export async function validateJunit(xml: string): Promise<{ valid: boolean; errors: string[] }> {
  const res = await validateXML({
    xml: { fileName: 'junit.xml', contents: xml },
    schema: { fileName: 'JUnit.xsd', contents: readFileSync(XSD, 'utf8') },
  });
  return { valid: res.valid, errors: res.errors.map((e) => e.rawMessage) };
}
