import fc from 'fast-check';

/** Stored script that must never run: each one sets window.__pwned (the console test's tripwire). */
export const SCRIPT_PAYLOADS = [
  '<img src=x onerror=window.__pwned=1>',
  '</script><script>window.__pwned=1</script>',
  'javascript:window.__pwned=1',
  '"><svg onload=window.__pwned=1>',
  '\'><iframe srcdoc="<script>parent.__pwned=1</script>">',
] as const;

/** Text a careless parser, path join or query builder gets wrong. */
const KNOWN_BAD_STRINGS = [
  ...SCRIPT_PAYLOADS,
  // A traversal behind a harmless segment (the repository guard reads a leading '../' as a real path).
  'reports/../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '..\\..\\windows\\win.ini',
  "' OR '1'='1",
  "'; DROP TABLE tickets; --",
  '1 UNION SELECT username, password_hash FROM users --',
  '%',
  '_',
  '\\',
  '\u0000',
  '\u0000\u0001\u001f\u007f',
  '\r\nX-Injected: 1',
  '\uFEFF',
  '\uD800',
  '\u202Eevil',
  '𝕡𝕝𝕒𝕟𝕥 ü ß 漢字 🙂',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '-0',
  '9007199254740993',
  'null',
  'undefined',
  'true',
  '__proto__',
  'constructor',
  '{"$ne":null}',
  '',
  ' ',
  '2026-13-45T25:61:61Z',
  '0000-00-00T00:00:00Z',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.',
] as const;

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...KNOWN_BAD_STRINGS), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 1 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom('a', '<b>', 'ü', '\u0000', "'"), fc.integer({ min: 1_000, max: 200_000 }))
      .map(([unit, n]) => unit.repeat(n)),
    weight: 1,
  },
);

/** Nested arrays or objects this deep: recursive validators and serializers overflow their stack. */
export const deepNesting: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 50, max: 1_000 }), fc.boolean())
  .map(([depth, objects]) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = objects ? { a: value } : [value];
    return value;
  });

/** A JSON value of the wrong kind for nearly any field. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 5 },
  {
    arbitrary: fc.constantFrom(
      null,
      true,
      false,
      0,
      -1,
      2 ** 31,
      2 ** 53 + 2,
      -(2 ** 63),
      1.5,
      1e308,
      -1e-308,
      [],
      {},
      [null],
      { __proto__: { admin: true } },
      JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}') as unknown,
    ),
    weight: 3,
  },
  { arbitrary: fc.array(hostileString, { maxLength: 5 }), weight: 1 },
  {
    arbitrary: fc.integer({ min: 10_000, max: 200_000 }).map((n) => Array.from({ length: n }, () => 1)),
    weight: 1,
  },
  { arbitrary: deepNesting, weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
);

/** A raw body that is not the JSON the route expects: bytes, broken JSON, bombs of nesting. */
export const hostileRawBody: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('{', '{"a":', '[1,2', 'NaN', '{"a":NaN}', '{"a":Infinity}', "{'a':1}", '\u0000', ''),
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1_000, max: 50_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
);
