import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../shared/paths.js';

/*
 * Two rules that keep a user's clone self-sufficient: nothing reads files outside the repository (a
 * clone has no ../shared/data beside it), and the product never imports from test/ (the tests are
 * not part of what `plantwatch` needs to run; unit tests beside their modules may use test/helpers).
 */

const ROOT = packageRoot();
const SCANNED = ['edge', 'cloud', 'shared', 'simulators', 'test', 'plantwatch.ts'];
const PRODUCT = ['edge', 'cloud', 'shared', 'simulators', 'plantwatch.ts'];
/** Recorded data with its provenance notes, which name where it was copied from. */
const NOT_SCANNED = ['test/fixtures', 'test/artifacts'];
const TEXT_FILES = new Set(['.yaml', '.yml', '.json', '.html', '.css']);

function filesUnder(path: string): string[] {
  const absolute = join(ROOT, path);
  if (NOT_SCANNED.some((skip) => path === skip || path.startsWith(`${skip}/`))) return [];
  const entries = readdirSync(absolute, { withFileTypes: true });
  return entries.flatMap((entry) => {
    const child = `${path}/${entry.name}`;
    if (entry.isDirectory()) return filesUnder(child);
    return [child];
  });
}

function scannedFiles(tops: string[]): string[] {
  return tops.flatMap((top) => (top.endsWith('.ts') ? [top] : filesUnder(top)));
}

const outside = (absolute: string): boolean => {
  const fromRoot = relative(ROOT, absolute);
  return fromRoot === '..' || fromRoot.startsWith(`..${sep}`);
};

interface Problem {
  file: string;
  line: number;
  message: string;
}

const where = (p: Problem): string => `${p.file}:${p.line}: ${p.message}`;

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
}

const lineOf = (source: ts.SourceFile, node: ts.Node): number =>
  source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;

const literalText = (node: ts.Node): string | undefined =>
  ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? node.text : undefined;

/** The folder a path-building call starts from, when the code says it plainly. */
function baseFolder(node: ts.Expression, file: string): string | undefined {
  const text = node.getText();
  if (/^packageRoot\(\)$/.test(text)) return ROOT;
  if (/^(import\.meta\.dirname|__dirname|dirname\(fileURLToPath\(import\.meta\.url\)\))$/.test(text)) {
    return dirname(join(ROOT, file));
  }
  return undefined;
}

/** Path literals in a TypeScript file that lead above the package root. */
function escapesInSource(file: string): Problem[] {
  const source = parse(file);
  const folder = dirname(join(ROOT, file));
  const problems: Problem[] = [];
  const visit = (node: ts.Node): void => {
    const text = literalText(node);
    // '../../shared/data', or an import specifier: relative to this file.
    if (text !== undefined && /^\.\.?\//.test(text) && outside(resolve(folder, text))) {
      problems.push({
        file,
        line: lineOf(source, node),
        message: `'${text}' points outside the repository (a user's clone has nothing beside it)`,
      });
    }
    // join(packageRoot(), '..', 'shared', ...): the segments followed from where the call starts.
    if (ts.isCallExpression(node) && node.arguments.length > 1) {
      const [first, ...rest] = node.arguments;
      const segments: string[] = [];
      for (const arg of rest) {
        const segment = literalText(arg);
        if (segment === undefined) break;
        segments.push(segment);
      }
      const base = first && baseFolder(first, file);
      const upThenShared = segments.some((s, i) => s === '..' && segments[i + 1] === 'shared');
      const escapes = base ? outside(resolve(base, ...segments)) : upThenShared;
      if (escapes) {
        problems.push({
          file,
          line: lineOf(source, node),
          message: `${node.getText().replace(/\s+/g, ' ')} points outside the repository (a user's clone has nothing beside it)`,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return problems;
}

/** Relative paths in a configuration or page file (relative to that file) that lead above the package root. */
function escapesInText(file: string): Problem[] {
  const folder = dirname(join(ROOT, file));
  return readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .flatMap((text, i) =>
      [...text.matchAll(/(?:^|[\s"'(=:])((?:\.\.\/)+[^\s"'),]*)/g)]
        .map((m) => m[1]!)
        .filter((path) => outside(resolve(folder, path)))
        .map((path) => ({ file, line: i + 1, message: `'${path}' points outside the repository` })),
    );
}

/** Module specifiers (static, dynamic, export-from, import types) that resolve into test/. */
function importsFromTest(file: string): Problem[] {
  const source = parse(file);
  const folder = dirname(join(ROOT, file));
  const testFolder = join(ROOT, 'test');
  const problems: Problem[] = [];
  const check = (specifier: ts.Node | undefined): void => {
    const text = specifier && literalText(specifier);
    if (text === undefined || !text.startsWith('.')) return;
    const target = resolve(folder, text);
    if (target === testFolder || target.startsWith(`${testFolder}${sep}`)) {
      problems.push({
        file,
        line: lineOf(source, specifier!),
        message: `imports '${text}' from test/: product code must not need the tests (move what it uses out of test/)`,
      });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) check(node.moduleSpecifier);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      check(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) check(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return problems;
}

describe('the repository', () => {
  it('refers to no path outside itself', () => {
    const problems = scannedFiles(SCANNED).flatMap((file) => {
      if (file.endsWith('.ts')) return escapesInSource(file);
      if (TEXT_FILES.has(extname(file))) return escapesInText(file);
      return [];
    });
    expect(problems.map(where)).toEqual([]);
  });

  it('has product code that imports nothing from test/', () => {
    const problems = scannedFiles(PRODUCT)
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .flatMap(importsFromTest);
    expect(problems.map(where)).toEqual([]);
  });
});
