/**
 * The layering of ARCHITECTURE.md, enforced: `npm run lint` runs
 * `depcruise bin src`. Each folder of src/ may import only the folders listed
 * for it in LAYERS (and itself); a library with an adapter may be imported
 * only inside that adapter; no cycle anywhere. Change the table here and in
 * ARCHITECTURE.md together.
 */

/** folder of src/ -> the folders of src/ it may import (besides itself). */
const LAYERS = {
  core: [],
  messages: ['core'],
  facts: ['core', 'messages'],
  store: ['core', 'messages', 'facts'],
  workflows: ['core', 'messages', 'facts', 'store'],
  config: ['core', 'messages'],
  transport: ['core', 'messages', 'store', 'config'],
  kube: ['core', 'workflows', 'config'],
  investigate: ['core', 'messages', 'facts', 'store', 'workflows', 'config', 'transport'],
  services: ['core', 'messages', 'facts', 'store', 'config', 'transport'],
  ui: ['core', 'investigate'],
  present: ['core', 'messages', 'facts', 'store', 'workflows', 'transport', 'investigate', 'services', 'ui'],
  commands: ['core', 'messages', 'facts', 'store', 'workflows', 'config', 'transport', 'kube', 'investigate', 'services', 'ui', 'present'],
  cli: [
    'core',
    'messages',
    'facts',
    'store',
    'workflows',
    'config',
    'transport',
    'kube',
    'investigate',
    'services',
    'ui',
    'present',
    'commands',
  ],
};

/** library -> the only place that may import it (a regular expression on the importing file's path). */
const ADAPTERS = {
  kafkajs: '^src/transport/kafka/',
  '@kubernetes/client-node': '^src/kube/client\\.ts$',
  'better-sqlite3': '^src/store/',
  ink: '^src/ui/',
  react: '^src/ui/',
};

const folders = Object.keys(LAYERS);

const layerRules = folders.map((folder) => {
  const allowed = [folder, ...LAYERS[folder]];
  const forbidden = folders.filter((f) => !allowed.includes(f));
  return {
    name: `layer-${folder}`,
    comment: `src/${folder} may import only ${allowed.map((f) => `src/${f}`).join(', ')} (ARCHITECTURE.md)`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: forbidden.length ? `^src/(${forbidden.join('|')})/` : '^$' },
  };
});

const adapterRules = Object.entries(ADAPTERS).map(([library, home]) => ({
  name: `adapter-${library.replace(/[@/]/g, '')}`,
  comment: `${library} is imported only in its adapter (${home})`,
  severity: 'error',
  from: { pathNot: home },
  to: { path: `^node_modules/${library.replace('/', '\\/')}/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    ...adapterRules,
    {
      name: 'no-unknown-folder',
      comment: `every file of src/ lives in one of the folders of the layer table: ${folders.join(', ')}`,
      severity: 'error',
      from: { path: '^src/' },
      to: { path: `^src/(?!(${folders.join('|')})/)` },
    },
    {
      name: 'bin-only-through-cli',
      comment: 'bin/thoth.ts starts the dispatch core and nothing else',
      severity: 'error',
      from: { path: '^bin/' },
      to: { path: '^src/(?!cli/)' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycle',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
