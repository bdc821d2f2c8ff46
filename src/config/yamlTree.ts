/**
 * The YAML AST → the plain object the schema validates, remembering each key's position: libbeat's
 * dotted keys merged with their nested form, `${VAR}` expanded, duplicates and unusable keys reported.
 */
import { isAlias, isMap, isScalar, isSeq } from "yaml";
import type { Document, Node, Scalar, YAMLMap } from "yaml";
import { expandEnv } from "./env.ts";
import { isRec, pathToString, type ConfigProblem, type Rec } from "./issues.ts";

export type Position = { line: number; column: number };
type Segment = string | number;

export interface Tree {
  root: Rec;
  /** Structural problems: duplicate keys, unusable keys. */
  problems: ConfigProblem[];
  /** `${VAR}` expansion problems, at the value's position. */
  envProblems: ConfigProblem[];
  /** The position of `path`, or of its nearest ancestor present in the file. */
  positionOf(path: string): Partial<Position>;
}

// Plain objects built from YAML must not let a key named `__proto__` reach the prototype.
const setOwn = (o: object, k: Segment, v: unknown) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
// YAML 1.2 reads 0600 as decimal 600; keep such literals as text so `permissions: 0600` means octal.
const OCTAL_LITERAL = /^0o?[0-7]+$/i;

export function buildTree(doc: Document, top: YAMLMap, at: (offset: number) => Position, env: NodeJS.ProcessEnv): Tree {
  const positions = new Map<string, Position>();
  const problems: ConfigProblem[] = [];
  const envProblems: ConfigProblem[] = [];
  const posOf = (node: Node | null | undefined): Position | undefined => (node?.range ? at(node.range[0]) : undefined);
  const remember = (path: string, pos: Position | undefined) => {
    if (pos && !positions.has(path)) positions.set(path, pos);
  };

  const scalar = (node: Scalar, path: Segment[]): unknown => {
    const v = node.value;
    if (typeof v === "number" && node.type === "PLAIN" && node.source !== undefined && OCTAL_LITERAL.test(node.source)) {
      return node.source;
    }
    if (typeof v !== "string") return v;
    const x = expandEnv(v, env);
    const p = pathToString(path);
    for (const name of x.missing) {
      envProblems.push({
        path: p,
        ...posOf(node),
        variable: name,
        message: `environment variable ${name} is not set (set it, or give a default: \${${name}:default})`,
      });
    }
    for (const message of x.malformed) envProblems.push({ path: p, ...posOf(node), message });
    return x.value;
  };

  const value = (node: unknown, path: Segment[]): unknown => {
    if (isAlias(node)) return value(node.resolve(doc), path);
    if (isScalar(node)) return scalar(node, path);
    if (isMap(node)) {
      const obj: Rec = {};
      mapInto(node, obj, path);
      return obj;
    }
    if (isSeq(node)) {
      return node.items.map((item, i) => {
        remember(pathToString([...path, i]), posOf(item as Node));
        return value(item, [...path, i]);
      });
    }
    return null; // `key:` with nothing after it
  };

  /** Merges the entries of `map` into `target` (the object at `base`), splitting dotted keys. */
  const mapInto = (map: YAMLMap, target: Rec, base: Segment[]): void => {
    for (const pair of map.items) {
      const keyNode = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
      const keyPos = posOf(keyNode as Node) ?? posOf(pair.value as Node);
      const keyValue = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof keyValue !== "string" && typeof keyValue !== "number" && typeof keyValue !== "boolean") {
        problems.push({ path: pathToString(base), ...keyPos, message: "keys must be plain names (this key is empty or complex)" });
        continue;
      }
      const segments = String(keyValue).split(".");
      if (segments.some((s) => s === "")) {
        problems.push({ path: pathToString(base), ...keyPos, message: `"${keyValue}" is not a valid key (empty part between dots)` });
        continue;
      }
      const valueNode = isAlias(pair.value) ? pair.value.resolve(doc) : pair.value;
      let obj = target;
      const path = [...base];
      for (const [i, seg] of segments.entries()) {
        path.push(seg);
        const p = pathToString(path);
        const last = i === segments.length - 1;
        const existing = Object.hasOwn(obj, seg) ? obj[seg] : undefined;
        const conflict = () => problems.push({ path: p, ...keyPos, message: `is set more than once (first at line ${positions.get(p)?.line ?? "?"})` });
        if (last && !isMap(valueNode)) {
          // A leaf: any earlier value here (leaf or section) is a second setting of the same key.
          if (Object.hasOwn(obj, seg)) conflict();
          else {
            remember(p, keyPos);
            setOwn(obj, seg, value(valueNode, path));
          }
          break;
        }
        // A section (a nested map, or a prefix of a dotted key): merge with an earlier one of the same name.
        if (existing === undefined && !Object.hasOwn(obj, seg)) setOwn(obj, seg, {});
        else if (!isRec(existing)) {
          conflict();
          break;
        }
        remember(p, keyPos);
        obj = obj[seg] as Rec;
        if (last) mapInto(valueNode as YAMLMap, obj, path);
      }
    }
  };

  const root: Rec = {};
  mapInto(top, root, []);

  const positionOf = (path: string): Partial<Position> => {
    for (let p = path; p !== ""; p = p.replace(/(\.[^.[\]]*|\[\d+\]|^[^.[\]]*)$/, "")) {
      const pos = positions.get(p);
      if (pos) return pos;
    }
    return {};
  };
  return { root, problems, envProblems, positionOf };
}
