/**
 * The layers, written down once (README "What runs where" draws the same picture); `npm run
 * lint:deps` checks every import against them, and `npm test` runs it.
 *
 * Product layers, lowest first: each may import only the layers before it in this list.
 * ranker returns domain page entries and never sees a wire type; feed-api renders them and
 * composes everything into a running service.
 */
const LAYERS = ['core', 'config', 'storage', 'ingest', 'models', 'ranker', 'experiments', 'feed-api'];

/**
 * Tools sit on top of the product and may import any of it (and each other); product code never
 * imports a tool. stack/ is a tool: it starts and stops local Kafka, ClickHouse and Redis
 * processes, which no product code does (a deployment points the product at its own servers).
 */
const TOOLS = ['cli', 'simulator', 'benchmarks', 'stack', 'test', 'web', 'bin'];

/**
 * A test file is held to its folder's layer, plus the tools that build test fixtures: the test
 * harness (test/), local servers a test starts for itself (stack/: a private Redis, a broker
 * cluster) and seeded worlds (simulator/). A test that drives a higher layer lives in that layer
 * (the events API → Kafka → ClickHouse tests are in feed-api/).
 */
const TEST_FIXTURES = ['test', 'stack', 'simulator'];

// Shared test setup (stage-fixtures.ts, newest.fixture.ts) is held to the rules of the tests it serves.
const TEST_FILE = '(\\.test|[.-]fixtures?)\\.ts$';
const under = (dirs) => `^(${dirs.join('|')})/`;
const below = (i) => (i === 0 ? 'nothing' : LAYERS.slice(0, i).join(', '));

module.exports = {
  forbidden: [
    ...LAYERS.map((layer, i) => ({
      name: `${layer}-imports-up`,
      comment: `${layer}/ may import only ${below(i)}: never a layer above it or a tool`,
      severity: 'error',
      from: { path: `^${layer}/`, pathNot: TEST_FILE },
      to: { path: under([...LAYERS.slice(i + 1), ...TOOLS]) },
    })),
    ...LAYERS.map((layer, i) => ({
      name: `${layer}-test-imports-up`,
      comment: `tests in ${layer}/ may import ${below(i)}, ${layer}/ and the test fixtures (${TEST_FIXTURES.join(', ')}); a test of a higher layer lives there`,
      severity: 'error',
      from: { path: `^${layer}/.*${TEST_FILE}` },
      to: { path: under([...LAYERS.slice(i + 1), ...TOOLS.filter((t) => !TEST_FIXTURES.includes(t))]) },
    })),
    {
      name: 'test-harness-in-tests-only',
      comment: 'test/ (the test stack and isolated configs) serves test files; tools use storage/ and config/ directly',
      severity: 'error',
      from: { path: '^(cli|simulator|benchmarks|stack|web|bin)/', pathNot: TEST_FILE },
      to: { path: '^test/' },
    },
    {
      name: 'cli-from-bin-only',
      comment: 'cli/ is the entry point: only bin/ starts it; a tool that needs a command\'s logic takes it from below',
      severity: 'error',
      from: { pathNot: '^(bin|cli)/' },
      to: { path: '^cli/' },
    },
    {
      name: 'no-cycles',
      comment: 'modules that import each other cannot be understood, tested or moved one at a time',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|\\.data|\\.cache|dist)/' },
    // Type-only imports count: a layer that names a type from above depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.mjs', '.js', '.json'] },
  },
};
