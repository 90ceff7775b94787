/**
 * Parser for the subset of FHIRPath (https://hl7.org/fhirpath/N1/) that R4 and US Core
 * SearchParameter expressions use. It produces a small AST that fhirpath-lite.ts turns
 * into closures. Anything outside the subset is a `FhirPathSyntaxError`, raised at
 * registry build time, never while indexing.
 */

export type FhirPathNode =
  | { kind: 'ident'; name: string }
  | { kind: 'this' }
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'member'; base: FhirPathNode; name: string }
  | { kind: 'call'; base: FhirPathNode | null; name: string; args: FhirPathNode[] }
  | { kind: 'index'; base: FhirPathNode; index: FhirPathNode }
  | { kind: 'type'; op: 'is' | 'as'; base: FhirPathNode; typeName: string }
  | { kind: 'binary'; op: string; left: FhirPathNode; right: FhirPathNode };

export class FhirPathSyntaxError extends Error {
  readonly code = 'fhirpath-unsupported';
}

type Token =
  | { t: 'id'; v: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'op'; v: string }
  | { t: 'end' };

const OPERATORS = ['!=', '!~', '<=', '>=', '.', ',', '(', ')', '[', ']', '|', '=', '~', '<', '>', '+', '-', '*', '/', '&'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== "'") {
        if (src[j] === '\\' && j + 1 < src.length) {
          s += src[j + 1];
          j += 2;
        } else {
          s += src[j++];
        }
      }
      if (j >= src.length) throw new FhirPathSyntaxError('Unterminated string literal');
      out.push({ t: 'str', v: s });
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new FhirPathSyntaxError('Unterminated delimited identifier');
      out.push({ t: 'id', v: src.slice(i + 1, j) });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_$%]/.test(c)) {
      const m = /^[A-Za-z_$%][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      if (!op) throw new FhirPathSyntaxError(`Unexpected character "${c}"`);
      out.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  out.push({ t: 'end' });
  return out;
}

/**
 * Binary operator precedence, lowest first (https://hl7.org/fhirpath/N1/#operator-precedence).
 * `is`/`as` bind tighter than `|`, so `A.value as Quantity | A.value as Range` is a union of two casts.
 */
const PRECEDENCE: Record<string, number> = {
  implies: 1,
  or: 2,
  xor: 2,
  and: 3,
  in: 4,
  contains: 4,
  '=': 5,
  '~': 5,
  '!=': 5,
  '!~': 5,
  '<': 6,
  '>': 6,
  '<=': 6,
  '>=': 6,
  '|': 7,
  is: 8,
  as: 8,
  '+': 9,
  '-': 9,
  '&': 9,
  '*': 10,
  '/': 10,
  div: 10,
  mod: 10,
};

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    return this.tokens[this.pos++];
  }

  private expectOp(v: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw new FhirPathSyntaxError(`Expected "${v}"`);
  }

  private binaryOp(): string | undefined {
    const t = this.peek();
    if (t.t === 'op' && t.v in PRECEDENCE) return t.v;
    if (t.t === 'id' && t.v in PRECEDENCE) return t.v;
    return undefined;
  }

  parseExpression(minPrec = 1): FhirPathNode {
    let left = this.parsePostfix();
    for (;;) {
      const op = this.binaryOp();
      if (!op || PRECEDENCE[op] < minPrec) return left;
      this.next();
      if (op === 'is' || op === 'as') {
        left = { kind: 'type', op, base: left, typeName: this.parseTypeName() };
      } else {
        const right = this.parseExpression(PRECEDENCE[op] + 1);
        left = { kind: 'binary', op, left, right };
      }
    }
  }

  private parseTypeName(): string {
    const t = this.next();
    if (t.t !== 'id') throw new FhirPathSyntaxError('Expected a type name');
    let name = t.v;
    // Qualified names such as FHIR.Patient or System.String: keep the last part.
    while (this.peek().t === 'op' && (this.peek() as { v: string }).v === '.') {
      this.next();
      const part = this.next();
      if (part.t !== 'id') throw new FhirPathSyntaxError('Expected a type name');
      name = part.v;
    }
    return name;
  }

  private parsePostfix(): FhirPathNode {
    let node = this.parseTerm();
    for (;;) {
      const t = this.peek();
      if (t.t === 'op' && t.v === '.') {
        this.next();
        const id = this.next();
        if (id.t !== 'id') throw new FhirPathSyntaxError('Expected a name after "."');
        node = this.maybeCall(node, id.v);
      } else if (t.t === 'op' && t.v === '[') {
        this.next();
        const index = this.parseExpression();
        this.expectOp(']');
        node = { kind: 'index', base: node, index };
      } else {
        return node;
      }
    }
  }

  private maybeCall(base: FhirPathNode | null, name: string): FhirPathNode {
    const t = this.peek();
    if (t.t === 'op' && t.v === '(') {
      this.next();
      const args: FhirPathNode[] = [];
      if (!(this.peek().t === 'op' && (this.peek() as { v: string }).v === ')')) {
        args.push(this.parseExpression());
        while (this.peek().t === 'op' && (this.peek() as { v: string }).v === ',') {
          this.next();
          args.push(this.parseExpression());
        }
      }
      this.expectOp(')');
      return { kind: 'call', base, name, args };
    }
    if (base === null) return name === '$this' ? { kind: 'this' } : { kind: 'ident', name };
    return { kind: 'member', base, name };
  }

  private parseTerm(): FhirPathNode {
    const t = this.next();
    switch (t.t) {
      case 'str':
        return { kind: 'literal', value: t.v };
      case 'num':
        return { kind: 'literal', value: t.v };
      case 'id':
        if (t.v === 'true' || t.v === 'false') return { kind: 'literal', value: t.v === 'true' };
        if (t.v.startsWith('%')) throw new FhirPathSyntaxError(`Environment variable ${t.v} is not supported`);
        return this.maybeCall(null, t.v);
      case 'op':
        if (t.v === '(') {
          const inner = this.parseExpression();
          this.expectOp(')');
          return inner;
        }
        throw new FhirPathSyntaxError(`Unexpected "${t.v}"`);
      default:
        throw new FhirPathSyntaxError('Unexpected end of expression');
    }
  }

  parseAll(): FhirPathNode {
    const node = this.parseExpression();
    if (this.peek().t !== 'end') throw new FhirPathSyntaxError('Unexpected trailing input');
    return node;
  }
}

export function parseFhirPath(expression: string): FhirPathNode {
  return new Parser(tokenize(expression)).parseAll();
}

/**
 * Splits an expression on its top-level `|` (outside parentheses, brackets and strings).
 * Used to narrow a multi-base definition (`A.x | B.y`) to the branches of one base type.
 */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}
