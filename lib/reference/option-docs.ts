/**
 * The descriptions of detector and action options, read from the JSDoc comments above each
 * option in the modules' `z.object({...})` blocks (the comments the code already carries), so
 * a description lives next to its option. A zod `.describe()` on an option wins over its JSDoc.
 *
 * Read at generation time with the TypeScript compiler API (a dev dependency); the result is
 * committed as option-docs.generated.ts so the bundled CLI needs neither the sources nor
 * TypeScript. test/unit/reference/reference.test.ts fails when the committed file is stale.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { optionKey } from './option-key.ts';

export const RESOURCES_DIR = 'lib/resources';


/** The object literal an options expression stands for: z.object({...}), a chain on it, or a const naming one. */
function objectLiteralOf(expr: ts.Expression, file: ts.SourceFile, seen = new Set<string>()): ts.ObjectLiteralExpression | undefined {
  if (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isSatisfiesExpression(expr)) return objectLiteralOf(expr.expression, file, seen);
  if (ts.isObjectLiteralExpression(expr)) return expr;
  if (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression)) {
    const callee = expr.expression;
    if (['object', 'strictObject', 'looseObject'].includes(callee.name.text) && ts.isIdentifier(callee.expression) && callee.expression.text === 'z') {
      const arg = expr.arguments[0];
      return arg ? objectLiteralOf(arg, file, seen) : undefined;
    }
    if (callee.name.text === 'extend' && expr.arguments[0]) return objectLiteralOf(expr.arguments[0], file, seen);
    // A method chain (.prefault({}), .strict(), .refine(...)): the object is at its start.
    return objectLiteralOf(callee.expression, file, seen);
  }
  if (ts.isIdentifier(expr) && !seen.has(expr.text)) {
    seen.add(expr.text);
    const declaration = findConst(file, expr.text);
    return declaration?.initializer ? objectLiteralOf(declaration.initializer, file, seen) : undefined;
  }
  return undefined;
}

function findConst(file: ts.SourceFile, name: string): ts.VariableDeclaration | undefined {
  let found: ts.VariableDeclaration | undefined;
  const visit = (node: ts.Node) => {
    if (found) return;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name) found = node;
    else ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function jsDocOf(node: ts.Node): string | undefined {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const text = docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join(' ').replace(/\s+/g, ' ').trim();
  return text || undefined;
}

function propertyName(prop: ts.ObjectLiteralElementLike): string | undefined {
  if (!prop.name) return undefined;
  if (ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name)) return prop.name.text;
  return undefined;
}

function collect(obj: ts.ObjectLiteralExpression, file: ts.SourceFile, prefix: string, out: Map<string, string>) {
  for (const prop of obj.properties) {
    if (ts.isSpreadAssignment(prop)) {
      const spread = objectLiteralOf(prop.expression, file);
      if (spread) collect(spread, file, prefix, out);
      continue;
    }
    if (!ts.isPropertyAssignment(prop)) continue;
    const name = propertyName(prop);
    if (!name) continue;
    const doc = jsDocOf(prop);
    if (doc) out.set(prefix + name, doc);
    const nested = zodObjectOf(prop.initializer, file);
    if (nested) collect(nested, file, `${prefix}${name}.`, out);
  }
}

/** Like objectLiteralOf, but only through z.object (a `.default({...})` argument is not an options object). */
function zodObjectOf(expr: ts.Expression, file: ts.SourceFile): ts.ObjectLiteralExpression | undefined {
  if (ts.isObjectLiteralExpression(expr)) return undefined;
  return objectLiteralOf(expr, file);
}

function stringProperty(obj: ts.ObjectLiteralExpression, name: string): string | undefined {
  for (const prop of obj.properties) {
    if (ts.isPropertyAssignment(prop) && propertyName(prop) === name && ts.isStringLiteralLike(prop.initializer)) return prop.initializer.text;
  }
  return undefined;
}

const hasProperty = (obj: ts.ObjectLiteralExpression, name: string) => obj.properties.some((p) => propertyName(p) === name);

/** Every documented option of every detector and action under lib/resources, by optionKey. */
export function extractOptionDocs(root = RESOURCES_DIR): Record<string, string> {
  const out = new Map<string, string>();
  for (const resource of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const name of readdirSync(join(root, resource)).filter((f) => f.endsWith('.ts')).sort()) {
      const path = join(root, resource, name);
      const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        if (ts.isObjectLiteralExpression(node)) {
          const id = stringProperty(node, 'id');
          const options = node.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && propertyName(p) === 'options');
          if (id && options) {
            const kind = hasProperty(node, 'apply') || hasProperty(node, 'undoable') ? 'action' : 'detector';
            const obj = objectLiteralOf(options.initializer, file);
            const found = new Map<string, string>();
            if (obj) collect(obj, file, '', found);
            for (const [option, doc] of found) out.set(optionKey(stringProperty(node, 'resource') ?? resource, kind, id, option), doc);
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
  }
  return Object.fromEntries([...out].sort(([a], [b]) => a.localeCompare(b)));
}
