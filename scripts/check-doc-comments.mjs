#!/usr/bin/env node
// Fails (exit 1) when a symbol exported from packages/spi/src/index.ts — following re-exports — or a member
// of an exported interface or class in the SPI lacks a JSDoc comment. The SPI is the contract third-party
// provider authors read in their editor: every name in it must say what it is for. Run by `pnpm lint`.
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// An entry file may be passed (for testing the check itself); the default is the SPI.
const entry = resolve(process.argv[2] ?? resolve(root, 'packages/spi/src/index.ts'));

const program = ts.createProgram([entry], {
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
});
const checker = program.getTypeChecker();
const source = program.getSourceFile(entry);
if (!source) throw new Error(`cannot read ${entry}`);
const moduleSymbol = checker.getSymbolAtLocation(source);
if (!moduleSymbol) throw new Error(`${entry} is not a module`);

const missing = [];
const hasDoc = (node) => ts.getJSDocCommentsAndTags(node).some((doc) => ts.isJSDoc(doc));
const report = (node, name) => {
  const file = node.getSourceFile();
  const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
  missing.push(`${relative(root, file.fileName)}:${line + 1}: ${name}`);
};
const memberName = (member) => {
  if (ts.isConstructorDeclaration(member)) return 'constructor';
  if (ts.isCallSignatureDeclaration(member)) return '(call signature)';
  if (ts.isConstructSignatureDeclaration(member)) return '(construct signature)';
  if (ts.isIndexSignatureDeclaration(member)) return '(index signature)';
  return member.name ? member.name.getText() : '(member)';
};
const isPrivate = (member) =>
  (member.name && ts.isPrivateIdentifier(member.name)) ||
  ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Private;

const seen = new Set();
for (const exported of checker.getExportsOfModule(moduleSymbol)) {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  for (const declaration of symbol.declarations ?? []) {
    if (seen.has(declaration)) continue;
    seen.add(declaration);
    if (!hasDoc(declaration)) report(declaration, exported.name);
    if (!ts.isInterfaceDeclaration(declaration) && !ts.isClassDeclaration(declaration)) continue;
    for (const member of declaration.members) {
      if (isPrivate(member)) continue;
      if (!hasDoc(member)) report(member, `${exported.name}.${memberName(member)}`);
    }
  }
}

if (missing.length > 0) {
  console.error(`check-doc-comments: ${missing.length} SPI name(s) without a JSDoc comment:`);
  for (const line of missing) console.error(`  ${line}`);
  console.error(
    'Every exported SPI symbol and every member of an exported SPI interface or class needs one.',
  );
  process.exit(1);
}
console.log(`check-doc-comments: every exported SPI symbol (${seen.size} declarations) has a JSDoc comment`);
