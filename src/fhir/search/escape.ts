/**
 * Search value escaping (https://hl7.org/fhir/R4/search.html#escaping): `\,`, `\|`, `\$`
 * and `\\` stand for the literal characters; unescaped `,` separates OR-ed values and `|`
 * separates the parts of a token, quantity or reference value.
 */

/** Splits `value` at every unescaped `sep`, leaving escapes in the parts. */
export function splitUnescaped(value: string, sep: ',' | '|' | '$'): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === sep) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

/** Removes the escaping backslashes. */
export function unescape(value: string): string {
  return value.replace(/\\([\\,|$])/g, '$1');
}

/** A literal search value: `,` `|` `$` and `\` escaped, so none of them separates anything. */
export function escapeValue(value: string): string {
  return value.replace(/[\\,|$]/g, '\\$&');
}
