// Checks what users apply and import against the schemas of the programs that consume them:
//
//   node check.mjs kubernetes FILE.yaml...   every YAML document against the Kubernetes OpenAPI schema
//                                            (kubernetes-models; prometheus-operator's CRDs for PodMonitor, PrometheusRule)
//   node check.mjs grafana DASHBOARD.json... every dashboard against Grafana's dashboard model (@grafana/schema):
//                                            Grafana 13.2's dashboard and panels, Grafana 10.0's panel plugin options
//
// Two checks per object:
// - Kubernetes only: the JSON-schema validator that kubernetes-models compiled from the OpenAPI document (types,
//   enums, required fields, formats such as quantities and ports).
// - Both: a TypeScript type check of the object as a literal of the model's type. The OpenAPI-derived validator
//   ignores unknown fields (the API server drops them with a warning, or rejects them under kubectl's default
//   --validate=strict); the type check does not: an excess property in an object literal is an error, as is a
//   field of the wrong type. For Grafana it is the only check there is: @grafana/schema ships types, no validator.
//
// Prints one "ok" line per object, one line per problem, and exits 1 if there was any problem.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import YAML from "yaml";

const toolDir = path.dirname(fileURLToPath(import.meta.url));
const problems = [];
const report = (where, message) => problems.push(`${where}: ${message}`);

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------------------------------

// apiVersion -> the module folder holding its models. Every kind used under deploy/ must be found here: an
// object whose kind has no model is a problem, never skipped silently.
function modelModule(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

async function checkKubernetes(files) {
  const typed = [];
  for (const file of files) {
    const documents = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
    for (const [index, document] of documents.entries()) {
      const where = `${file}#${index + 1}`;
      if (document.errors.length > 0) {
        document.errors.forEach(e => report(where, `YAML: ${e.message}`));
        continue;
      }
      const object = document.toJS();
      if (object === null || object === undefined) continue;   // an empty document (a trailing ---)
      const { apiVersion, kind } = object;
      if (typeof apiVersion !== "string" || typeof kind !== "string") {
        report(where, "no apiVersion/kind");
        continue;
      }
      // kustomize's own file: read by kubectl -k on the client, never sent to the API server, and no schema of it
      // is published with the Kubernetes API (the tests check that its resources exist).
      if (apiVersion.startsWith("kustomize.config.k8s.io/")) {
        console.log(`not an API object: ${where} ${kind}`);
        continue;
      }
      const module = modelModule(apiVersion, kind);
      let Model;
      try {
        Model = (await import(module))[kind];
      } catch (e) {
        report(where, `no schema for ${apiVersion} ${kind} (${module}): ${e.code ?? e.message}`);
        continue;
      }
      try {
        new Model(object).validate();
      } catch (e) {
        report(where, `${kind} ${object.metadata?.name}: ${e.message}`);
        continue;
      }
      typed.push({ where, module, type: `I${kind}`, object, label: `${kind} ${object.metadata?.name}` });
    }
  }
  typeCheck(typed);
}

// ---------------------------------------------------------------------------------------------------------------
// Grafana
// ---------------------------------------------------------------------------------------------------------------

// Panel plugins whose options @grafana/schema types (the model's panel has options: Record<string, unknown>).
// Each panel of these types is checked again with its plugin's Options (and FieldConfig, the plugin's
// fieldConfig.defaults.custom) as Grafana 10.0 has them, the oldest version the dashboards support: the JSON must
// be read as it is there, and newer versions migrate a plugin's options when they load the panel (Grafana 12's table
// moved options.footer into the field config, for one). Grafana fills in the options a dashboard leaves out, so
// they are Partial; those it has must be known and of the right type.
// @grafana/schema is Grafana 10.0's (its modules import "@grafana/schema" for their common types, so it must be the
// package of that name); grafana-schema-13 is Grafana 13.2's, the model a current Grafana holds a dashboard to.
const oldest = "@grafana/schema/dist/esm/raw/composable";
const newest = "grafana-schema-13";
const panelTypes = {
  timeseries: { module: `${oldest}/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen`, fieldConfig: true },
  table: { module: `${oldest}/table/panelcfg/x/TablePanelCfg_types.gen`, fieldConfig: false },
  stat: { module: `${oldest}/stat/panelcfg/x/StatPanelCfg_types.gen`, fieldConfig: false },
  bargauge: { module: `${oldest}/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen`, fieldConfig: false },
};

function checkGrafana(files) {
  const typed = [];
  for (const file of files) {
    let dashboard;
    try {
      dashboard = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      report(file, `JSON: ${e.message}`);
      continue;
    }
    typed.push({ where: file, module: newest, type: "Dashboard", object: dashboard, label: `dashboard ${dashboard.uid}` });
    const panels = [];
    const walk = list => (list ?? []).forEach(p => { panels.push(p); walk(p.panels); });
    walk(dashboard.panels);
    for (const panel of panels) {
      if (panel.type === "row") continue;   // checked as a RowPanel by the Dashboard type
      const plugin = panelTypes[panel.type];
      if (plugin === undefined) {
        report(`${file} panel ${panel.id}`, `panel type "${panel.type}" has no typed options in @grafana/schema: add it to panelTypes`);
        continue;
      }
      const fieldConfig = plugin.fieldConfig ? "Partial<FieldConfig>" : "Record<string, unknown>";
      typed.push({
        where: `${file} panel ${panel.id}`,
        imports: `import type { Panel } from "${newest}";\nimport type { Options${plugin.fieldConfig ? ", FieldConfig" : ""} } from "${plugin.module}";`,
        // The model's Panel<TOptions> does not use TOptions (options stays Record<string, unknown>): replaced here.
        type: `Omit<Panel<Record<string, unknown>, ${fieldConfig}>, "options"> & { options?: Partial<Options> }`,
        object: panel,
        label: `${panel.type} panel "${panel.title}"`,
      });
    }
  }
  typeCheck(typed);
}

// ---------------------------------------------------------------------------------------------------------------
// The type check: one in-memory .ts file per object, "const value: Type = <the object as a literal>", compiled
// together with the packages' declarations. Nothing is written to disk.
// ---------------------------------------------------------------------------------------------------------------

// A JSON file holds an enum's value, not the enum: Json<T> turns each string enum of T into the union of its values
// (`${E}`), recursively, and keeps everything else, optional fields and excess-property checks included.
const jsonType = `type Json<T> = T extends string ? \`\${T}\`
  : T extends number | boolean | null | undefined ? T
  : T extends readonly (infer E)[] ? Json<E>[]
  : T extends object ? { [K in keyof T]: Json<T[K]> }
  : T;`;

function typeCheck(items) {
  if (items.length === 0) return;
  const sources = new Map();
  items.forEach((item, i) => {
    const imports = item.imports ?? `import type { ${item.type} } from "${item.module}";`;
    const header = `${imports}\n${jsonType}\nexport const value: Json<${item.type}> = `;
    const fileName = path.join(toolDir, "__checked__", `${i}.ts`);
    sources.set(fileName, { item, text: `${header}${JSON.stringify(item.object, null, 2)};\n` });
  });
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    sources.has(name) ? ts.createSourceFile(name, sources.get(name).text, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = name => sources.has(name) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = name => sources.get(name)?.text ?? readFile(name);

  const program = ts.createProgram([...sources.keys()], options, host);
  const failed = new Set();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const source = diagnostic.file && sources.get(diagnostic.file.fileName);
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n    ");
    if (!source) {
      report("typescript", message);   // a problem of the packages or the setup, not of one object
      continue;
    }
    failed.add(source.item);
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const text = diagnostic.file.text.split("\n")[line].trim();
    report(source.item.where, `${source.item.label}: ${message}\n    at: ${text}`);
  }
  for (const { item } of sources.values()) {
    if (!failed.has(item)) console.log(`ok: ${item.where} ${item.label}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------

const [what, ...files] = process.argv.slice(2);
if (!["kubernetes", "grafana"].includes(what) || files.length === 0) {
  console.error("usage: node check.mjs kubernetes|grafana FILE...");
  process.exit(2);
}
if (what === "kubernetes") await checkKubernetes(files);
else checkGrafana(files);
for (const problem of problems) console.log(`problem: ${problem}`);
console.log(`${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
