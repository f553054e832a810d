/**
 * The hexagon's arrows point inward only. `npm test` runs this first; a violation fails the build.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain/ is plain TypeScript: no package, no Node built-in, no other layer.',
      severity: 'error',
      from: { path: '^domain/' },
      to: { pathNot: '^domain/' },
    },
    {
      name: 'application-depends-on-domain-only',
      comment: 'application/ holds use cases and ports: it may use domain/, never adapters, the API or a package.',
      severity: 'error',
      from: { path: '^application/' },
      to: { pathNot: '^(domain|application)/' },
    },
    {
      name: 'adapters-do-not-know-the-api',
      severity: 'error',
      from: { path: '^adapters/' },
      to: { path: '^api/' },
    },
    {
      name: 'only-the-api-uses-inversify',
      comment: 'The composition root in api/ is the only place that knows the container.',
      severity: 'error',
      from: { pathNot: '^api/' },
      to: { path: 'node_modules/(inversify|@inversifyjs)/' },
    },
    {
      name: 'provider-sdks-stay-in-adapters',
      comment: 'Stripe and Razorpay types stop at their adapters.',
      severity: 'error',
      from: { pathNot: '^adapters/(stripe|razorpay)/' },
      to: { path: 'node_modules/(stripe|razorpay)/' },
    },
    {
      name: 'the-orm-stays-in-persistence',
      severity: 'error',
      from: { pathNot: '^adapters/persistence/' },
      to: { path: 'node_modules/@mikro-orm/' },
    },
    {
      name: 'areas-meet-through-published-pieces',
      comment:
        'An application area (billing, wallet, payouts, webhooks, admin) uses another only through what it publishes: ' +
        'its use cases, ports and repositories, and the services it shares (*.use-case.ts, *.port.ts, *.repository.ts, *.service.ts, *.view.ts); ' +
        'application/shared is everyone\'s.',
      severity: 'error',
      from: { path: '^application/([^/]+)/' },
      to: { path: '^application/', pathNot: ['^application/$1/', '^application/shared/', '\\.(use-case|port|repository|service|view)\\.ts$'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
