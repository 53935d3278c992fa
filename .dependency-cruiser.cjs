// The layering rules of /work/shared/design/style.md, checked by test/layers.test.ts (so `npm test` and .ci/run fail
// on a violation). Layers, bottom up; an arrow points at what may be imported:
//
//   commands/  src/up  src/console  src/bench  src/main.ts   entry points, the web console, the bench harness
//        |
//   roles: src/resman src/agent src/appmaster src/appworker src/client   (never each other)
//        |
//   src/scheduler  src/store  src/rpc  src/cluster   shared machinery
//        |
//   src/core  src/sys                                domain model and system helpers (import nothing of ours)
//
// src/sim (the simulation) sits beside src/bench: used by tests and `galaxy bench`, never by a role.
// src/testing and *.test.ts are test code: production never imports them.
const ROLES = "(resman|agent|appmaster|appworker|client)";
const TOP = "^(commands/|src/(up|bench|sim|console)/|src/main\\.ts$)";
// test files, test helpers and fixtures (the scheduler's golden-script runner, the store's contract suite)
const TEST = "(\\.test\\.ts$|^src/testing/|^test/|\\.contract\\.ts$|(^|/|-)fixtures?\\.ts$|/golden-script\\.ts$)";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import cycles: split the shared part into its own file.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-imports-nothing-of-ours",
      comment: "src/core and src/sys are the bottom layer.",
      severity: "error",
      from: { path: "^src/(core|sys)/", pathNot: TEST },
      to: { path: "^(src|commands)/", pathNot: "^src/(core|sys)/" },
    },
    {
      name: "machinery-imports-no-role",
      comment: "scheduler, store, rpc and cluster sit below the roles and the entry points.",
      severity: "error",
      from: { path: "^src/(scheduler|store|rpc|cluster)/", pathNot: TEST },
      to: { path: [`^src/${ROLES}/`, TOP] },
    },
    {
      name: "role-imports-no-role",
      comment: "A role never imports another role; roles meet only through proto/.",
      severity: "error",
      from: { path: `^src/${ROLES}/`, pathNot: TEST },
      to: { path: `^src/${ROLES}/`, pathNot: "^src/$1/" },
    },
    {
      name: "role-imports-no-entry-point",
      comment: "Roles sit below commands/, src/up, src/bench and src/sim.",
      severity: "error",
      // cli-docs.ts is also the `npm run docs` script: only its `import.meta.main` block loads commands/index.ts.
      from: { path: `^src/${ROLES}/`, pathNot: [TEST, "^src/client/cli-docs\\.ts$"] },
      to: { path: TOP },
    },
    {
      name: "machinery-takes-no-wire-vocabulary",
      comment: "Below the roles, the domain words come from src/core/domain.ts, not from the wire types (rpc/types.ts).",
      severity: "error",
      from: { path: "^src/(store|cluster)/", pathNot: TEST },
      to: { path: "^src/rpc/(types|gen/)" },
    },
    {
      name: "scheduler-imports-no-rpc",
      comment: "Placement works on the domain model of src/core, not on wire types.",
      severity: "error",
      from: { path: "^src/scheduler/", pathNot: TEST },
      to: { path: "^src/rpc/" },
    },
    {
      name: "production-imports-no-bench",
      comment: "Only `galaxy bench` (commands/bench) ships the bench harness.",
      severity: "error",
      from: { path: "^(src|commands)/", pathNot: [TEST, "^src/bench/", "^commands/bench/"] },
      to: { path: "^src/bench/" },
    },
    {
      name: "production-imports-no-test-code",
      comment: "Production code never imports test files or test helpers (the bench's standalone scripts may use fixtures).",
      severity: "error",
      from: { path: "^(src|commands)/", pathNot: [TEST, "^src/bench/"] },
      to: { path: TEST },
    },
    {
      name: "binary-ships-no-test-code",
      comment: "Nothing the binary's entry reaches (commands, `galaxy bench` included) is test code.",
      severity: "error",
      from: { path: "^src/main\\.ts$" },
      to: { path: TEST, reachable: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^src/rpc/gen/|node_modules)" },
  },
};
