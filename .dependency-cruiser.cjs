/**
 * The import rules of src/ (npm run lint:imports, part of npm test): no cycles, and imports only
 * point down the layers below (a module may import its own layer's folder and the layers under it).
 *
 *   commands   cli/ setup/ migrate/ demo/ check/ (and migrations/)
 *   daemon     daemon.ts http/
 *   pipeline   pipeline/ heartbeat/          reads objects, acknowledges messages, feeds outputs
 *   stages     sqs/ objects/ outputs/        intake, reading and decoding, delivery (sqs → objects only)
 *   services   aws/ telemetry/ events/       AWS clients and errors, metrics, the event documents
 *   base       config/ logging/ util/
 */
const LAYERS = [
  ["base", "^src/(config|logging|util)/|^src/(packageRoot|version)\\.ts$"],
  ["services", "^src/(aws|telemetry|events)/"],
  ["stages", "^src/(sqs|objects|outputs)/"],
  ["pipeline", "^src/(pipeline|heartbeat)/"],
  ["daemon", "^src/(http/|daemon\\.ts$)"],
  ["commands", "^src/(cli|setup|migrate|demo|check)/|^migrations/"],
];

const upward = LAYERS.flatMap(([name, from], i) =>
  LAYERS.slice(i + 1).map(([above, to]) => ({
    name: `${name}-imports-${above}`,
    comment: `${name} modules must not import ${above} modules: imports point down the layers (.dependency-cruiser.cjs)`,
    severity: "error",
    from: { path: from },
    to: { path: to },
  })),
);

/** Stages are independent of each other, except that SQS intake names the objects it hands on. */
const sideways = [
  ["objects", "^src/(sqs|outputs)/"],
  ["outputs", "^src/(sqs|objects)/"],
  ["sqs", "^src/outputs/"],
].map(([stage, to]) => ({
  name: `${stage}-imports-another-stage`,
  comment: `src/${stage}/ must not import ${to}: stages meet in the pipeline (.dependency-cruiser.cjs)`,
  severity: "error",
  from: { path: `^src/${stage}/` },
  to: { path: to },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "a cycle makes two modules one: break it with a type or helper both can import",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "src-imports-tests",
      comment: "test-only code lives in test/support",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
    ...upward,
    ...sideways,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    // TypeScript 7 has no compiler API yet for dependency-cruiser to use; swc parses the sources.
    parser: "swc",
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(node_modules|dist)/" },
  },
};
