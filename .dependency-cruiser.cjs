/**
 * The direction of every import in functions/ (checked by `npm run lint`, which fails the build):
 *
 *   core  <-  adapters  <-  platform  <-  api  <-  entry points (functions/*.ts) and cli
 *                 ^  ^           ^
 *                 |  +---- generator (core only)
 *                 +------- training (core, adapters, platform, generator; never cli)
 *
 * No cycles anywhere, type-only imports included.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make load order and bundling fragile; break them with a smaller module.',
      from: { path: '^functions/' },
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'functions/core imports only functions/core (ports, zod and maths): no adapter, platform, training or cli code.',
      from: { path: '^functions/core/' },
      to: { path: '^functions/', pathNot: '^functions/core/' },
    },
    {
      name: 'adapters-below-platform',
      severity: 'error',
      comment: 'Adapters implement ports for the core; they never reach up into platform, entry points, training, cli or the generator.',
      from: { path: '^functions/adapters/' },
      to: { path: '^functions/', pathNot: '^functions/(core|adapters)/' },
    },
    {
      name: 'local-and-gcp-adapters-apart',
      severity: 'error',
      comment: 'The local and the GCP adapters are twins, not layers: neither imports the other.',
      from: { path: '^functions/adapters/(local|gcp)/' },
      to: { path: '^functions/adapters/(local|gcp)/', pathNot: '^functions/adapters/$1/' },
    },
    {
      name: 'platform-below-entry-points',
      severity: 'error',
      comment: 'Platform code (wiring, runtimes, handlers) is used by entry points, cli and training, never the reverse.',
      from: { path: '^functions/platform/' },
      to: { path: '^functions/', pathNot: '^functions/(core|adapters|platform)/' },
    },
    {
      name: 'api-below-entry-points',
      severity: 'error',
      comment: 'The HTTP API (functions/api: routes, auth, rate limits, webhooks, its GCP and local composition) is used by the api and webhooks entry points and by the cli (ledgerx serve), never the reverse.',
      from: { path: '^functions/api/' },
      to: { path: '^functions/', pathNot: '^functions/(core|adapters|platform|api)/' },
    },
    {
      name: 'nothing-below-the-api-imports-it',
      severity: 'error',
      comment: 'core, adapters, platform, training and the generator never import the API.',
      from: { path: '^functions/(core|adapters|platform|training|generator)/' },
      to: { path: '^functions/api/' },
    },
    {
      name: 'generator-uses-core-only',
      severity: 'error',
      from: { path: '^functions/generator/' },
      to: { path: '^functions/', pathNot: '^functions/(core|generator)/' },
    },
    {
      name: 'training-never-uses-cli-or-entry-points',
      severity: 'error',
      from: { path: '^functions/training/' },
      to: { path: '^functions/(cli/|web/|[^/]+\\.ts$)' },
    },
    {
      name: 'only-the-cli-imports-the-cli',
      severity: 'error',
      from: { path: '^functions/', pathNot: '^functions/cli/' },
      to: { path: '^functions/cli/' },
    },
    {
      name: 'entry-points-are-leaves',
      severity: 'error',
      comment: 'An entry point (functions/<name>.ts) is imported only by functions/index.ts.',
      from: { path: '^functions/', pathNot: '^functions/index\\.ts$' },
      to: { path: '^functions/[^/]+\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs'] },
  },
};
