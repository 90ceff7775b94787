import { CHOICE_NAMES, choiceSuffix, choiceValue } from './fhir-choice.js';
import { type FhirPathNode, FhirPathSyntaxError, parseFhirPath } from './fhirpath-parse.js';
import { referenceType } from './reference.js';

/**
 * A small compiler from the FHIRPath (https://hl7.org/fhirpath/N1/) used by R4/US Core
 * SearchParameter expressions to plain closures over FHIR JSON. Supported: path navigation
 * with array flattening, choice elements (`Observation.value` finds `valueQuantity`, …),
 * `as`/`is`/`as()`/`ofType()`/`is()`, `|`, parentheses, indexers, `where()`, `exists()`,
 * `empty()`, `not()`, `first()`, `last()`, `count()`, `extension(url)`, `resolve() is T`,
 * `=`, `!=`, `and`, `or`, string/number/boolean literals. Anything else fails at compile
 * time with a reason, so unsupported expressions never reach the indexer.
 */

export type FhirPathFn = (resource: Record<string, unknown>) => unknown[];

export type CompileResult = { ok: true; fn: FhirPathFn } | { ok: false; error: string };

/** Compiles `expression`, evaluated with a resource of `contextType` as its context. */
export function compileFhirPath(expression: string, contextType: string): CompileResult {
  try {
    const fn = compileNode(parseFhirPath(expression), contextType);
    return { ok: true, fn: (resource) => fn([resource]) };
  } catch (err) {
    if (err instanceof FhirPathSyntaxError) return { ok: false, error: err.message };
    throw err;
  }
}

type Fn = (focus: unknown[]) => unknown[];

const ABSTRACT_TYPES = new Set(['Resource', 'DomainResource']);
const EMPTY: Fn = () => [];
const IDENTITY: Fn = (focus) => focus;

function isTypeName(name: string): boolean {
  return /^[A-Z]/.test(name);
}

function compileNode(node: FhirPathNode, contextType: string): Fn {
  switch (node.kind) {
    case 'this':
      return IDENTITY;
    case 'literal': {
      const value = node.value;
      return () => [value];
    }
    case 'ident':
      return compileIdent(node.name, contextType);
    case 'member': {
      const base = compileNode(node.base, contextType);
      return memberFn(base, node.name, CHOICE_NAMES.has(node.name));
    }
    case 'index': {
      if (node.index.kind !== 'literal' || typeof node.index.value !== 'number') {
        throw new FhirPathSyntaxError('Only literal indexes are supported');
      }
      const base = compileNode(node.base, contextType);
      const i = node.index.value;
      return (focus) => {
        const all = base(focus);
        return i < all.length ? [all[i]] : [];
      };
    }
    case 'type':
      return compileType(node.op, node.base, node.typeName, contextType);
    case 'call':
      return compileCall(node, contextType);
    case 'binary':
      return compileBinary(node.op, compileNode(node.left, contextType), compileNode(node.right, contextType));
  }
}

/** A leading type name (`Observation.code`) selects the context resource when it matches. */
function compileIdent(name: string, contextType: string): Fn {
  if (!isTypeName(name)) return memberFn(IDENTITY, name, CHOICE_NAMES.has(name));
  if (name === contextType || ABSTRACT_TYPES.has(name)) {
    const isResource = (x: unknown) => isObject(x) && typeof x.resourceType === 'string';
    return (focus) => (focus.length === 1 && isResource(focus[0]) ? focus : focus.filter(isResource));
  }
  return EMPTY;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function push(out: unknown[], v: unknown): void {
  if (v === undefined || v === null) return;
  if (Array.isArray(v)) {
    for (const x of v) if (x !== undefined && x !== null) out.push(x);
  } else {
    out.push(v);
  }
}

/** Child navigation, flattening arrays (https://hl7.org/fhirpath/N1/#path-selection). */
function memberFn(base: Fn, name: string, choice: boolean): Fn {
  return (focus) => {
    const out: unknown[] = [];
    for (const item of base(focus)) {
      if (!isObject(item)) continue;
      let v = item[name];
      if (v === undefined && choice) v = choiceValue(item, name);
      push(out, v);
    }
    return out;
  };
}

const STRING_TYPES = new Set([
  'string', 'code', 'uri', 'url', 'canonical', 'id', 'markdown', 'oid', 'uuid', 'base64Binary', 'instant', 'time',
]);
const DATE_ONLY = /^\d{4}(-\d{2}(-\d{2})?)?$/;

/** Runtime type test for values whose type is not told by a choice-element suffix. */
function primitiveTest(typeName: string): (x: unknown) => boolean {
  const t = typeName.replace(/^System\./, '');
  if (t === 'boolean' || t === 'Boolean') return (x) => typeof x === 'boolean';
  if (t === 'integer' || t === 'Integer' || t === 'positiveInt' || t === 'unsignedInt') return (x) => Number.isInteger(x);
  if (t === 'decimal' || t === 'Decimal') return (x) => typeof x === 'number';
  if (t === 'date' || t === 'Date') return (x) => typeof x === 'string' && DATE_ONLY.test(x);
  if (t === 'dateTime' || t === 'DateTime') return (x) => typeof x === 'string' && /^\d{4}/.test(x);
  if (STRING_TYPES.has(t) || t === 'String') return (x) => typeof x === 'string';
  throw new FhirPathSyntaxError(`Type test for ${typeName} outside a choice element is not supported`);
}

function compileType(op: 'is' | 'as', baseNode: FhirPathNode, typeName: string, contextType: string): Fn {
  // `resolve() is Patient`: decided from the reference's type (relative `Patient/1`, absolute
  // `…/Patient/1` or Reference.type); the server never resolves references while indexing.
  if (baseNode.kind === 'call' && baseNode.name === 'resolve' && baseNode.args.length === 0) {
    if (op !== 'is') throw new FhirPathSyntaxError('Only "resolve() is Type" is supported');
    const base = baseNode.base ? compileNode(baseNode.base, contextType) : IDENTITY;
    return (focus) => {
      const refs = base(focus);
      return refs.length === 0 ? [] : [refs.some((r) => isObject(r) && referenceType(r) === typeName)];
    };
  }
  // A cast on a choice element is a navigation to the typed JSON name: value as Quantity → valueQuantity.
  if (baseNode.kind === 'member' || (baseNode.kind === 'ident' && !isTypeName(baseNode.name))) {
    const name = baseNode.name;
    if (CHOICE_NAMES.has(name)) {
      const parent = baseNode.kind === 'member' ? compileNode(baseNode.base, contextType) : IDENTITY;
      const typed = memberFn(parent, name + choiceSuffix(typeName), false);
      if (op === 'as') return typed;
      const any = memberFn(parent, name, true);
      return (focus) => (any(focus).length === 0 ? [] : [typed(focus).length > 0]);
    }
  }
  if (isTypeName(typeName) && !/^(Boolean|Integer|Decimal|String|Date|DateTime)$/.test(typeName)) {
    // A resource type test (`x is Patient`) on resources, e.g. Bundle.entry.resource.
    const base = compileNode(baseNode, contextType);
    const isRes = (x: unknown) => isObject(x) && x.resourceType === typeName;
    if (op === 'as') return (focus) => base(focus).filter(isRes);
    return (focus) => {
      const all = base(focus);
      return all.length === 0 ? [] : [all.every(isRes)];
    };
  }
  const base = compileNode(baseNode, contextType);
  const test = primitiveTest(typeName);
  if (op === 'as') return (focus) => base(focus).filter(test);
  return (focus) => {
    const all = base(focus);
    return all.length === 0 ? [] : [all.every(test)];
  };
}

/** FHIRPath boolean evaluation of a collection: empty → undefined (https://hl7.org/fhirpath/N1/#singleton-evaluation-of-collections). */
function truth(coll: unknown[]): boolean | undefined {
  if (coll.length === 0) return undefined;
  if (coll.length === 1 && typeof coll[0] === 'boolean') return coll[0];
  return true;
}

function typeArg(node: FhirPathNode): string {
  if (node.kind === 'ident') return node.name;
  if (node.kind === 'member' && node.base.kind === 'ident') return node.name; // FHIR.Patient
  throw new FhirPathSyntaxError('Expected a type name argument');
}

function compileCall(node: Extract<FhirPathNode, { kind: 'call' }>, contextType: string): Fn {
  const { name, args } = node;
  const arity = (n: number) => {
    if (args.length !== n) throw new FhirPathSyntaxError(`${name}() takes ${n} argument(s)`);
  };
  if (name === 'as' || name === 'ofType' || name === 'is') {
    arity(1);
    const base = node.base ?? { kind: 'this' as const };
    return compileType(name === 'is' ? 'is' : 'as', base, typeArg(args[0]), contextType);
  }
  if (name === 'resolve') throw new FhirPathSyntaxError('resolve() is only supported as "resolve() is Type"');
  const base = node.base ? compileNode(node.base, contextType) : IDENTITY;
  switch (name) {
    case 'where': {
      arity(1);
      const pred = compileNode(args[0], contextType);
      return (focus) => base(focus).filter((item) => truth(pred([item])) === true);
    }
    case 'exists': {
      if (args.length === 0) return (focus) => [base(focus).length > 0];
      arity(1);
      const pred = compileNode(args[0], contextType);
      return (focus) => [base(focus).some((item) => truth(pred([item])) === true)];
    }
    case 'empty':
      arity(0);
      return (focus) => [base(focus).length === 0];
    case 'not':
      arity(0);
      return (focus) => {
        const b = truth(base(focus));
        return b === undefined ? [] : [!b];
      };
    case 'first':
      arity(0);
      return (focus) => base(focus).slice(0, 1);
    case 'last':
      arity(0);
      return (focus) => base(focus).slice(-1);
    case 'count':
      arity(0);
      return (focus) => [base(focus).length];
    case 'extension': {
      arity(1);
      const urlNode = args[0];
      if (urlNode.kind !== 'literal' || typeof urlNode.value !== 'string') {
        throw new FhirPathSyntaxError('extension() takes a string literal');
      }
      const url = urlNode.value;
      const ext = memberFn(base, 'extension', false);
      return (focus) => ext(focus).filter((e) => isObject(e) && e.url === url);
    }
    default:
      throw new FhirPathSyntaxError(`Function ${name}() is not supported`);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isObject(a) && isObject(b)) return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

function compileBinary(op: string, left: Fn, right: Fn): Fn {
  switch (op) {
    case '|':
      // Union removes duplicates (https://hl7.org/fhirpath/N1/#union-collections). Here by
      // identity (the same JSON node, or an equal primitive): equal-but-distinct elements
      // only yield identical index rows, which the indexer removes anyway.
      return (focus) => {
        const l = left(focus);
        const r = right(focus);
        if (l.length === 0) return r;
        if (r.length === 0) return l;
        return [...new Set([...l, ...r])];
      };
    case '=':
    case '!=': {
      // Deliberately lenient: `type.coding.code = 'x'` is true when ANY item equals, which
      // is what search definitions mean; strict FHIRPath compares whole collections.
      const neg = op === '!=';
      return (focus) => {
        const l = left(focus);
        const r = right(focus);
        if (l.length === 0 || r.length === 0) return [];
        const eq = l.some((x) => r.some((y) => sameValue(x, y)));
        return [neg ? !eq : eq];
      };
    }
    case 'and':
      return (focus) => {
        const l = truth(left(focus));
        if (l === false) return [false];
        const r = truth(right(focus));
        if (r === false) return [false];
        return l === true && r === true ? [true] : [];
      };
    case 'or':
      return (focus) => {
        const l = truth(left(focus));
        if (l === true) return [true];
        const r = truth(right(focus));
        if (r === true) return [true];
        return l === false && r === false ? [false] : [];
      };
    default:
      throw new FhirPathSyntaxError(`Operator "${op}" is not supported`);
  }
}
