#!/usr/bin/env node
// Enforces the architecture rules of a source tree (by default packages/core/src): which modules may import
// which, and how large a module may grow. Dependency-free on purpose: import and export-from specifiers are
// read with regular expressions over the source (comments blanked out, string contents ignored), so it runs
// before anything is built or installed. Run by `pnpm lint` and `pnpm test:all`.
//
//   node scripts/check-architecture.mjs [--root <dir>] [--all]
//
// Exit 0 with a one-line summary when every enforced rule holds; exit 1 listing each violation as
// `path:line: rule-name: explanation and how to fix`; exit 2 on a usage error. `--all` enforces every rule
// in RULES, including those whose `enforced` switch is still off (the tests use it).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';

const MAX_LINES = 400;
const LOGON_TYPES = new Set(['TransportLogon', 'LogonHandle', 'Preprocessor']);
/** The `@spool/core/internal` entry, relative to the root: re-exports only (see logon-types-in-host). */
const INTERNAL_BARREL = 'internal.ts';

/**
 * The rules. Each has a name (printed with every violation), an `enforced` switch (off for a rule the code
 * does not obey yet: its violations are only counted in the summary, unless --all is given) and a check that
 * receives one parsed source file and returns its violations as `{ line, message }`. A message says what is
 * wrong and how to fix it. To add a rule, add an entry here with a comment saying why it exists.
 */
const RULES = [
  {
    // Stages see store ports (store/types.ts), never the SQLite implementation: the factory in
    // store/open-store.ts is the one place that knows which store backs a spool, so the store can change or
    // be faked without touching the pipeline.
    name: 'sqlite-behind-factory',
    enforced: true,
    check(file) {
      if (file.path.startsWith('store/sqlite/') || file.path === 'store/open-store.ts') return [];
      return file.imports
        .filter((imp) => {
          const target = resolveInTree(file.path, imp.specifier);
          return target !== null && (target === 'store/sqlite' || target.startsWith('store/sqlite/'));
        })
        .map((imp) => ({
          line: imp.line,
          message:
            `imports '${imp.specifier}', part of the SQLite store; only store/open-store.ts may import ` +
            'from store/sqlite/. Depend on the store ports in store/types.ts and get the store from ' +
            'store/open-store.ts (export what callers need from there).',
        }));
    },
  },
  {
    // A module over 400 lines does too much to review or test as a unit; the limit keeps each file to one
    // responsibility.
    name: 'file-size',
    enforced: true,
    check(file) {
      if (file.lineCount <= MAX_LINES) return [];
      return [
        {
          line: MAX_LINES + 1,
          message:
            `is ${file.lineCount} lines long, over the limit of ${MAX_LINES}. Split it into smaller ` +
            'modules, one per responsibility, and import them from here.',
        },
      ];
    },
  },
  {
    // The logon machinery (a provider's TransportLogon, the host's LogonHandle, Preprocessor) is the
    // provider host's business: the rest of the core talks to host/ through its own interface, so the
    // host can change how it drives providers without rippling into the stages (the pipeline sees logons
    // as LogonViews through host/provider-port.ts). internal.ts is exempt: it is the re-export barrel of
    // `@spool/core/internal`, where the CLI's provider diagnostics and the testkit reach the host on
    // purpose (no semver promise, an exact pin); it holds no code that could use a logon.
    name: 'logon-types-in-host',
    enforced: true,
    check(file) {
      if (file.path.startsWith('host/') || file.path === INTERNAL_BARREL) return [];
      const violations = [];
      for (const imp of file.imports) {
        const fromSpi = imp.specifier === '@spool/spi' || imp.specifier.startsWith('@spool/spi/');
        const target = resolveInTree(file.path, imp.specifier);
        const fromHost = target?.startsWith('host/') ?? false;
        if (!fromSpi && !fromHost) continue;
        const uses = imp.names.filter((n) => LOGON_TYPES.has(n.name));
        // `import * as spi from '@spool/spi'` followed by `spi.TransportLogon` is the same import by name.
        if (imp.namespace) uses.push(...memberUses(file, imp.namespace, LOGON_TYPES));
        for (const use of uses) {
          violations.push({
            line: use.line,
            message:
              `uses ${use.name} from '${imp.specifier}'; logon types stay inside host/. Move the code ` +
              'that needs it into host/, or have host/ offer what this module needs without exposing it.',
          });
        }
      }
      return violations;
    },
  },
];

// ---------------------------------------------------------------------------------------------------------

/** Parses the arguments, checks every source file under the root, prints the result and exits. */
function main() {
  const usage = 'usage: node scripts/check-architecture.mjs [--root <dir>] [--all]';
  const args = process.argv.slice(2);
  let rootArg;
  let all = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--all') all = true;
    else if (arg === '--root' && i + 1 < args.length) rootArg = args[++i];
    else if (arg.startsWith('--root=')) rootArg = arg.slice('--root='.length);
    else if (arg === '--help' || arg === '-h') {
      console.log(usage);
      process.exit(0);
    } else {
      console.error(`check-architecture: unexpected argument '${arg}'\n${usage}`);
      process.exit(2);
    }
  }
  const root = rootArg ? resolve(rootArg) : resolve(import.meta.dirname, '..', 'packages', 'core', 'src');
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    console.error(`check-architecture: ${root} is not a directory\n${usage}`);
    process.exit(2);
  }

  const files = listSources(root).map((abs) => parseFile(root, abs));
  if (files.length === 0) {
    // An empty tree passing would hide a mistyped --root.
    console.error(`check-architecture: no .ts source files under ${root}`);
    process.exit(2);
  }

  const shown = (abs) => {
    const rel = relative(process.cwd(), abs);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
  };
  const violations = [];
  const deferred = [];
  for (const rule of RULES) {
    const active = all || rule.enforced;
    let count = 0;
    for (const file of files) {
      for (const v of rule.check(file)) {
        count++;
        if (active)
          violations.push({ file: shown(file.abs), line: v.line, rule: rule.name, message: v.message });
      }
    }
    if (!active) deferred.push(`${rule.name} (${plural(count, 'violation')})`);
  }
  const activeRules = RULES.filter((rule) => all || rule.enforced).map((rule) => rule.name);
  const later = deferred.length > 0 ? `; not enforced yet: ${deferred.join(', ')}` : '';

  if (violations.length > 0) {
    violations.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
    for (const v of violations) console.error(`${v.file}:${v.line}: ${v.rule}: ${v.message}`);
    console.error(
      `check-architecture: ${plural(violations.length, 'violation')} in ` +
        `${shown(root)} (${plural(files.length, 'file')}, rules: ${activeRules.join(', ')})${later}`,
    );
    process.exit(1);
  }
  console.log(
    `check-architecture: ${plural(files.length, 'file')} in ${shown(root)} ${files.length === 1 ? 'obeys' : 'obey'} ${plural(activeRules.length, 'rule')} (${activeRules.join(', ')})${later}`,
  );
}

// ---------------------------------------------------------------------------------------------------------

/** `3 files`, `1 file`. */
function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Every TypeScript source under dir (skipping node_modules, dist and hidden folders), sorted. */
function listSources(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
      found.push(...listSources(abs));
    } else if (entry.isFile() && /\.(?:[cm]?ts|tsx)$/.test(entry.name)) {
      found.push(abs);
    }
  }
  return found.sort();
}

/**
 * Where a relative specifier points, as a root-relative posix path (`store/sqlite/sqlite-store.js`), or
 * null for a package specifier or a path that leaves the tree.
 */
function resolveInTree(fromPath, specifier) {
  if (
    !specifier.startsWith('./') &&
    !specifier.startsWith('../') &&
    specifier !== '.' &&
    specifier !== '..'
  ) {
    return null;
  }
  const target = posix.normalize(posix.join(posix.dirname(fromPath), specifier));
  if (target === '..' || target.startsWith('../')) return null;
  return target.replace(/\/$/, '');
}

/** Reads one file under root: its root-relative path, line count and import/export-from statements. */
function parseFile(root, abs) {
  const text = readFileSync(abs, 'utf8');
  const { code, inString } = blankComments(text);
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (offset) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const lineCount = text.length === 0 ? 0 : lineStarts.length - (text.endsWith('\n') ? 1 : 0);
  const file = {
    abs,
    path: relative(root, abs).split(sep).join('/'),
    lineCount,
    code,
    inString,
    lineOf,
    imports: findImports(code, inString, lineOf),
  };
  return file;
}

// `import x from`, `import type { a, b } from`, `import x, * as ns from` (lists may span lines).
const STATIC_IMPORT =
  /(?<![\w$.])import\s+(type\s+)?((?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*\s*as\s+[\w$]+)|[\w$]+)\s*from\s*(['"])([^'"\n]*)\3/g;
// `import './side-effect.js'`
const BARE_IMPORT = /(?<![\w$.])import\s*(['"])([^'"\n]*)\1/g;
// `export { a, type b } from`, `export type { a } from`, `export * from`, `export * as ns from`
const EXPORT_FROM =
  /(?<![\w$.])export\s+(type\s+)?(\{[^}]*\}|\*(?:\s*as\s+[\w$]+)?)\s*from\s*(['"])([^'"\n]*)\3/g;
// `import('x')`, `import(\`x\`)`, `import('x', { with: … })`, in code or in a type (`import('x').T`)
const DYNAMIC_IMPORT = /(?<![\w$.])import\s*\(\s*(?:(['"])([^'"\n]*)\1|`([^`$\\\n]*)`)\s*[,)]/g;
// One name in a `{ … }` list: `a`, `type a`, `a as b` (the name taken from the module is `a`).
const LIST_NAME = /(?:^|[{,])\s*(?:type\s+)?([\w$]+)/g;

/** The statements of one file that take something from another module, with the names they take. */
function findImports(code, inString, lineOf) {
  const imports = [];
  const listNames = (list, at) =>
    [...list.matchAll(LIST_NAME)].map((m) => ({
      name: m[1],
      line: lineOf(at + m.index + m[0].length - m[1].length),
    }));
  const add = (match, specifier, names, namespace) => {
    if (inString[match.index]) return; // text inside a string literal, not code
    imports.push({ specifier, line: lineOf(match.index), names, namespace });
  };
  for (const m of code.matchAll(STATIC_IMPORT)) {
    const clause = m[2];
    const at = m.index + m[0].indexOf(clause, 'import'.length);
    const brace = clause.indexOf('{');
    const names = brace >= 0 ? listNames(clause.slice(brace), at + brace) : [];
    const namespace = /\*\s*as\s+([\w$]+)/.exec(clause)?.[1] ?? null;
    add(m, m[4], names, namespace);
  }
  for (const m of code.matchAll(BARE_IMPORT)) add(m, m[2], [], null);
  for (const m of code.matchAll(EXPORT_FROM)) {
    const clause = m[2];
    const at = m.index + m[0].indexOf(clause, 'export'.length);
    add(m, m[4], clause.startsWith('{') ? listNames(clause, at) : [], null);
  }
  for (const m of code.matchAll(DYNAMIC_IMPORT)) {
    const specifier = m[2] ?? m[3];
    const names = [];
    const end = m.index + m[0].length;
    // `import('x').Name` (a type query, or a property of the module)
    const member = m[0].endsWith(')') ? /^\s*\.\s*([\w$]+)/.exec(code.slice(end)) : null;
    if (member) names.push({ name: member[1], line: lineOf(end) });
    // `const { a, b } = await import('x')`
    const before = /\{([^{}]*)\}\s*=\s*(?:await\s+)?$/.exec(code.slice(Math.max(0, m.index - 2000), m.index));
    if (before) {
      const at = m.index - before[0].length;
      names.push(...listNames(`{${before[1]}`, at));
    }
    add(m, specifier, names, null);
  }
  return imports.sort((a, b) => a.line - b.line);
}

/** Where code reads `ns.Name` for one of the given names (outside strings). */
function memberUses(file, namespace, names) {
  const escaped = namespace.replace(/\$/g, '\\$');
  const uses = [];
  for (const m of file.code.matchAll(new RegExp(`(?<![\\w$.])${escaped}\\s*\\.\\s*([\\w$]+)`, 'g'))) {
    if (!file.inString[m.index] && names.has(m[1])) uses.push({ name: m[1], line: file.lineOf(m.index) });
  }
  return uses;
}

/**
 * The text with every comment replaced by spaces (newlines kept, so offsets and lines still match), and a
 * mask of the offsets that lie inside a string, template or regular-expression literal. A small scanner,
 * not a parser: it knows just enough (escapes, `${…}` in templates, regex literals after an operator or a
 * keyword) not to mistake `//` in a string or a quote in a regex for the start of something else.
 */
function blankComments(text) {
  const out = text.split('');
  const inString = new Uint8Array(text.length + 1);
  const n = text.length;
  const regexAfter = new Set('(,=:[!&|?{};+-*%<>~^'.split(''));
  const regexKeywords =
    /(?:^|[^\w$])(?:return|typeof|instanceof|in|of|new|delete|void|throw|case|do|else|yield|await)$/;
  let i = 0;
  let last = ''; // last significant code character
  let lastStart = 0; // where the run of code ending in `last` can be read back from

  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n' && out[k] !== '\r') out[k] = ' ';
  };
  const mark = (from, to) => inString.fill(1, from, to);

  // Scans code from i until end of text, or (inTemplate) the `}` closing a `${`. Returns nothing; moves i.
  const scanCode = (inTemplate) => {
    let depth = 0;
    while (i < n) {
      const c = text[i];
      const next = text[i + 1];
      if (c === '/' && next === '/') {
        const end = text.indexOf('\n', i);
        const stop = end === -1 ? n : end;
        blank(i, stop);
        i = stop;
      } else if (c === '/' && next === '*') {
        const end = text.indexOf('*/', i + 2);
        const stop = end === -1 ? n : end + 2;
        blank(i, stop);
        i = stop;
      } else if (c === "'" || c === '"') {
        const start = i++;
        while (i < n && text[i] !== c && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
        i++;
        mark(start + 1, Math.min(i - 1, n));
        last = c;
      } else if (c === '`') {
        i++;
        scanTemplate();
        last = '`';
      } else if (
        c === '/' &&
        (last === '' || regexAfter.has(last) || regexKeywords.test(text.slice(lastStart, i).trimEnd()))
      ) {
        const start = i++;
        let inClass = false;
        while (i < n && text[i] !== '\n') {
          if (text[i] === '\\') i++;
          else if (text[i] === '[') inClass = true;
          else if (text[i] === ']') inClass = false;
          else if (text[i] === '/' && !inClass) break;
          i++;
        }
        if (text[i] === '/') {
          mark(start, i + 1);
          i++;
          last = '/';
        } else {
          i = start + 1; // not a regex after all: a division
          last = '/';
        }
      } else {
        if (inTemplate && c === '{') depth++;
        if (inTemplate && c === '}') {
          if (depth === 0) {
            i++;
            return;
          }
          depth--;
        }
        if (!/\s/.test(c)) {
          if (!/[\w$]/.test(last) || !/[\w$]/.test(c)) lastStart = i;
          last = c;
        }
        i++;
      }
    }
  };
  // Scans a template literal from just after its opening backtick to just after its closing one.
  const scanTemplate = () => {
    let chunk = i;
    while (i < n) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        mark(chunk, i);
        i++;
        return;
      } else if (c === '$' && text[i + 1] === '{') {
        mark(chunk, i);
        i += 2;
        last = '{';
        scanCode(true);
        chunk = i;
      } else i++;
    }
    mark(chunk, n);
  };

  scanCode(false);
  return { code: out.join(''), inString };
}

main();
