import { ProjectError, throwIfAny } from '../core/errors.js';
import { renderConfigTree, validateConfigTree, type ConfigTree } from '../project/folder-config.js';
import type { Project } from '../project/load-project.js';
import type { TemplateEngine } from '../templating/template-engine.js';
import { installDataTestMacros } from './data-tests/add-data-tests.js';
import { collectInto } from './parse-context.js';

/** The engine's data-test macros and every macro file of the project, loaded into the engine; stops on any error. */
export function parseMacros(project: Project, engine: TemplateEngine): void {
  const errors: ProjectError[] = [];
  installDataTestMacros(engine);
  for (const m of project.macroFiles) collectInto(errors, () => engine.loadMacroSource(m.file, m.source));
  // Installed packages after the root project: a bare macro name is the root project's first.
  for (const pkg of project.packages) {
    for (const m of pkg.macroFiles) collectInto(errors, () => engine.loadMacroSource(m.file, m.source, pkg.name));
  }
  throwIfAny(errors);
}

/** The project with the Jinja in its folder configs rendered (`+schema: "{{ env_var('X') }}"`), and checked again. */
export function withRenderedFolderConfig(project: Project, engine: TemplateEngine, errors: ProjectError[]): Project {
  const fc = project.folderConfig;
  if (!JSON.stringify(fc).match(/\{\{|\{%/)) return project;
  // An installed package's `var()` reads its own vars (its dbt_project.yml's, under the root's overrides).
  const scope = project.pathPrefix === '' ? {} : { packageName: project.name };
  const render = (tree: ConfigTree, section: string): ConfigTree => {
    try {
      const out = renderConfigTree(tree, (text, at) => {
        try {
          return engine.renderString(text, project.file, scope);
        } catch (e) {
          if (!(e instanceof ProjectError)) throw e;
          // Positioned at the YAML value, not at the line of the one-line template.
          throw new ProjectError(e.kind, e.message, { location: project.yaml.locate([section, ...at]), hint: e.hint, source: project.yaml.source });
        }
      });
      const owners = [project.name, ...project.packages.map((p) => p.name)];
      errors.push(...validateConfigTree(out, section, owners, project.yaml, [], project.file.endsWith('dbt_project.yml')));
      return out;
    } catch (e) {
      if (e instanceof ProjectError) errors.push(e);
      else throw e;
      return tree;
    }
  };
  const folderConfig = {
    models: render(fc.models, 'models'),
    seeds: render(fc.seeds, 'seeds'),
    snapshots: render(fc.snapshots, 'snapshots'),
    dataTests: render(fc.dataTests, project.config.data_tests ? 'data_tests' : 'tests'),
    sources: render(fc.sources, 'sources'),
  };
  return { ...project, folderConfig, unrenderedFolderConfig: fc };
}
